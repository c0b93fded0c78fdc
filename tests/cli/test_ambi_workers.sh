#!/usr/bin/env bash
# ambi-verify --workers 2: packets are hashed on a second thread in batches, and still
# delivered in order, each authentic one exactly once: a stream of 4 MiB comes out byte
# for byte (order and completeness), and the attack scenarios of test_ambi_attacks.sh
# that test the once-only rule (replays, one payload in two slots, overlapping
# manifests, reordering, early packets, spoofed copies) give the same verdicts.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
source "$(dirname "$0")/ambi_lib.sh"
ambi_setup wrk 10.99.74.1 10.99.74.2

# --- 4 MiB in 1200-byte datagrams at 8000 pps through --workers 2 -------------------------
head -c 4M /dev/urandom >"$TMP/data.bin"
fifo_from sh -c "while ! grep -q '\"join\"' '$TMP/verify.err' 2>/dev/null; do sleep 0.05; done; cat '$TMP/data.bin'"
asend "$NS_A" --originate -s "$AMBI_S" -g 232.77.4.1 -p 5004 --listen "$AMBI_S:4433" --cert "$CERTS/server.pem" \
  --key "$CERTS/server.key" --metadata-out "$TMP/stream.json" --rate 8000 --json <"$FIFO" 2>"$TMP/send.err" &
sender=$!
wait_for_file "$TMP/stream.json" || { show_file "sender" "$TMP/send.err"; fail "no metadata written"; }
ip netns exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_VERIFY" --metadata "$TMP/stream.json" --ca "$CERTS/ca.pem" --json \
  --workers 2 >"$TMP/out.bin" 2>"$TMP/verify.err" &
verifier=$!
wait_rc "$sender"
[[ $RC == 0 ]] || { show_file "sender" "$TMP/send.err"; show_file "verifier" "$TMP/verify.err"; fail "ambi-manifest-send exited $RC"; }
wait_for_size "$TMP/out.bin" "$(stat -c %s "$TMP/data.bin")" || true
kill -TERM "$verifier"
wait_rc "$verifier"
assert_same_sha256 "$TMP/data.bin" "$TMP/out.bin" "--workers 2: verified output"
assert_eq "{}" "$(python3 -c 'import json,sys; s=[json.loads(l) for l in open(sys.argv[1]) if "\"stats\"" in l][-1]; print({k:v for k,v in s["dropped"].items() if v})' "$TMP/verify.err")" "--workers 2: drops"
note "stream: $(json_field "$TMP/send.err" stats packets) packets, in order, all verified: ok"

# --- the once-only rule -------------------------------------------------------------------
for scenario in basic replay identical overlap reorder early spoof expired; do
  ambi_scenario "$scenario" --workers 2
done
echo PASS
