#!/usr/bin/env bash
# The manifest channel under abuse: a wrong stream identifier and a TLV overrun each
# disconnect, with reconnects 1 s then 2 s later; a valid manifest followed by garbage
# does not start the backoff over; a 2 MiB manifest (count 32767, 64-byte
# digests) is refused without growing memory; an untrusted server certificate means
# nothing is ever delivered.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
source "$(dirname "$0")/ambi_lib.sh"
ambi_setup chn 10.99.72.1 10.99.72.2

ambi_scenario wrong_stream
python3 - "$TMP/wrong_stream.err" <<'PY' || fail "backoff: reconnects must come 1 s, then 2 s after each disconnect"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
channel = [e for e in events if e["event"] == "manifest_channel"]
states = [(e["state"], e.get("retry_ms")) for e in channel]
print("channel:", states, file=sys.stderr)
down = [e for e in channel if e["state"] == "disconnected"]
up = [e for e in channel if e["state"] == "connected"]
assert [e["retry_ms"] for e in down] == [1000, 2000], states
assert "stream" in down[0]["error"] and "TLV" in down[1]["error"] or "tlv" in down[1]["error"].lower(), down
# Each reconnect comes no sooner than its delay.
assert len(up) == 3
assert up[1]["t"] - down[0]["t"] >= 0.95 and up[2]["t"] - down[1]["t"] >= 1.95, channel
PY
note "wrong stream id, then TLV overrun: disconnected, retried after 1 s and 2 s: ok"

# One valid manifest per connection, then garbage: the backoff still doubles (issue 16,
# item 18: it used to start over at each valid manifest, a reconnect every second).
ambi_scenario good_then_garbage
python3 - "$TMP/good_then_garbage.err" <<'PY' || fail "good then garbage: the backoff must double (1, 2, 4, 8 s)"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
down = [e["retry_ms"] for e in events if e["event"] == "manifest_channel" and e["state"] == "disconnected"]
print("retry_ms:", down, file=sys.stderr)
assert down == [1000, 2000, 4000, 8000], down
PY
note "one valid manifest then garbage, four times: retried after 1, 2, 4, 8 s: ok"

# Lost manifests are reported (manifest_gap) and counted.
ambi_scenario manifest_gap
assert_eq 1 "$(count_events "$TMP/manifest_gap.err" manifest_gap expected=1 got=4 missed=3)" "manifest_gap events"
assert_eq 3 "$(json_field "$TMP/manifest_gap.err" stats manifests_missed)" "manifests_missed in stats"
note "manifest sequence 0, 4, 5: one manifest_gap of 3: ok"

ambi_scenario abusive --hash sha-512
grep -q '"error":"broken manifest stream: .*' "$TMP/abusive.err" || fail "abusive manifest: no broken-stream disconnect"
note "abusive manifest refused: $(grep -m1 -o '"error":"broken[^"]*"' "$TMP/abusive.err")"

ambi_scenario untrusted
grep -q '"state":"connected"' "$TMP/untrusted.err" && fail "untrusted: the verifier accepted an untrusted certificate"
grep -qi 'certificate' "$TMP/untrusted.err" || { show_file "verifier" "$TMP/untrusted.err"; fail "untrusted: no certificate error reported"; }
note "untrusted certificate: never connected, nothing delivered: ok"

# A certificate that fails verification is an establishment failure: exit 2 after
# --manifest-attempts tries (issue 16, item 20: --strict used to exit 4, or retry for ever).
fifo_from sleep "$TAPS_TIMEOUT"
ns_exec "$NS_A" timeout -k 3 "$TAPS_TIMEOUT" openssl s_server -accept "$AMBI_S:4439" -quiet -tls1_3 -naccept 10 \
  -cert "$CERTS/untrusted.pem" -key "$CERTS/untrusted.key" <"$FIFO" >/dev/null 2>"$TMP/s_server.err" &
for _ in $(seq 50); do ns_exec "$NS_A" ss -ltn | grep -q ":4439 " && break; sleep 0.1; done
started=$(now_ms)
rc=0
averify "$NS_B" -s "$AMBI_S" -g "$AMBI_GROUP" -p "$AMBI_PORT" --manifest "ambi+tls://$AMBI_S:4439" --ca "$CERTS/ca.pem" \
  --strict -t 30 --manifest-attempts 3 --json 2>"$TMP/strict-untrusted.err" >/dev/null || rc=$?
elapsed=$(($(now_ms) - started))
assert_eq 2 "$rc" "ambi-verify --strict against an untrusted certificate"
assert_eq 3 "$(count_events "$TMP/strict-untrusted.err" manifest_channel state=disconnected)" "certificate attempts"
grep -q 'certificate verify failed.*(3 attempts)' "$TMP/strict-untrusted.err" ||
  { show_file "verifier" "$TMP/strict-untrusted.err"; fail "no one-line certificate error"; }
((elapsed < 15000)) || fail "exit 2 took $elapsed ms"
note "--strict, untrusted certificate: exit 2 after 3 attempts in $elapsed ms: ok"
echo PASS
