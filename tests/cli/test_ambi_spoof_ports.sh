#!/usr/bin/env bash
# A flood spoofed from 10,000 source ports of the sender's address (issue 11, item 5):
# ambi-verify once kept one Connection per (S, source port) for ever. Now at most
# --max-senders are tracked (the Listener creates no state beyond them; senders that
# delivered nothing for data-hold-time give their slot up), so memory stays bounded,
# and the authentic stream, whose sender delivers, is verified in full. Its dropped
# events are aggregated (at most 10 a second, then one dropped_summary a second).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
source "$(dirname "$0")/ambi_lib.sh"
ambi_setup spf 10.99.78.1 10.99.78.2
group=232.77.8.1
port=5015
rate=200
packets=$((rate * 5))
head -c $((packets * 1000)) /dev/urandom >"$TMP/data.bin"

fifo_from sh -c "while ! grep -q '\"state\":\"connected\"' '$TMP/send.err' 2>/dev/null; do sleep 0.05; done; sleep 0.5; cat '$TMP/data.bin'"
ip netns exec "$NS_A" timeout -k 3 60 "$AMBI_SEND" --originate -s "$AMBI_S" -g "$group" -p "$port" \
  --listen "$AMBI_S:4433" --cert "$CERTS/server.pem" --key "$CERTS/server.key" --metadata-out "$TMP/stream.json" \
  --packet-size 1000 --rate "$rate" --json <"$FIFO" 2>"$TMP/send.err" &
sender=$!
wait_for_file "$TMP/stream.json" || fail "no metadata"
ASAN_OPTIONS=quarantine_size_mb=1:${ASAN_OPTIONS:-} ip netns exec "$NS_B" timeout -k 3 60 "$AMBI_VERIFY" \
  --metadata "$TMP/stream.json" --ca "$CERTS/ca.pem" --max-senders 64 --json \
  >"$TMP/out.bin" 2>"$TMP/verify.err" &
verifier=$!
wait_for_event "$TMP/send.err" verifier 1 "$verifier"
vpid=$(pgrep -P "$verifier" | head -n1)
wait_for_event "$TMP/verify.err" verified 1 "$verifier"
base_kib=$(awk '/^VmHWM/ { print $2 }' "/proc/$vpid/status")
# 10,000 source ports, 20,000 packets, while the stream goes on.
ns_exec "$NS_A" python3 "$AMBI_PEER" inject --source "$AMBI_S" --sport 20000 --sports 10000 --group "$group" \
  --port "$port" --count 20000 --rate 5000 --size 200 &
flood=$!
wait_rc "$sender"
[[ $RC == 0 ]] || { show_file "sender" "$TMP/send.err"; fail "ambi-manifest-send exited $RC"; }
wait "$flood" || true
wait_for_size "$TMP/out.bin" $((packets * 1000)) || true
sleep 1
peak_kib=$(awk '/^VmHWM/ { print $2 }' "/proc/$vpid/status")
kill -TERM "$verifier"
wait_rc "$verifier"
assert_same_sha256 "$TMP/data.bin" "$TMP/out.bin" "authentic packets under the spoofed-port flood"
read -r senders refused evicted < <(python3 -c '
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if "\"event\":\"stats\"" in l][-1]
print(s["senders"], s["senders_refused"], s["senders_evicted"])' "$TMP/verify.err")
((senders <= 64)) || fail "$senders senders tracked, more than --max-senders 64"
((evicted > 0)) || fail "no sender was evicted: the flood did not fill the table"
# Under the flood, dropped events are aggregated: at most 10 a second one by one, the rest
# in dropped_summary events, and together they account for every drop.
python3 - "$TMP/verify.err" <<'PY' || fail "dropped events: not aggregated, or not every drop accounted for"
import collections, json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
single = [e for e in events if e["event"] == "dropped"]
summed = collections.Counter()
for e in events:
    if e["event"] == "dropped_summary":
        summed.update(e["dropped"])
stats = [e for e in events if e["event"] == "stats"][-1]
total = sum(stats["dropped"].values())
span = events[-1]["t"] - events[0]["t"]
print("drops %d: %d dropped events, %d in summaries, over %.1f s" % (total, len(single), sum(summed.values()), span), file=sys.stderr)
assert len(single) <= 10 * (span + 2), len(single)
assert len(single) + sum(summed.values()) == total, (len(single), dict(summed), total)
assert summed, "no dropped_summary under a flood"
PY
growth=$((peak_kib - base_kib))
note "10,000 spoofed ports: $senders senders at the end, $evicted evicted, $refused refused; RSS +$growth KiB"
((growth <= 32768)) || fail "memory grew by $growth KiB under the spoofed-port flood"
echo PASS
