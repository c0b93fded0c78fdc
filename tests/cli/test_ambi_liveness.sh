#!/usr/bin/env bash
# The manifest channel is alive only while manifest bytes arrive (DESIGN.md 6.5): an
# established ambi+tls session that goes silent (the server's TLS port blackholed with
# nftables mid-stream, both ways) is given up within max(3 x manifest interval,
# data-hold-time) while packets wait, and the verifier delivers again once the rule is
# removed. Also --lines: one datagram per line, delivered as lines.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
source "$(dirname "$0")/ambi_lib.sh"
need_cmd nft
ambi_setup liv 10.99.76.1 10.99.76.2
group=232.77.6.1
port=5012

fifo_from sh -c "i=0; while [ \$i -lt 3000 ]; do i=\$((i + 1)); echo line-\$i; sleep 0.01; done"
asend "$NS_A" --originate --lines -s "$AMBI_S" -g "$group" -p "$port" --listen "$AMBI_S:4433" --cert "$CERTS/server.pem" \
  --key "$CERTS/server.key" --metadata-out "$TMP/stream.json" --rate 0 --json <"$FIFO" 2>"$TMP/send.err" &
sender=$!
wait_for_file "$TMP/stream.json" || { show_file "sender" "$TMP/send.err"; fail "no metadata"; }
ip netns exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_VERIFY" --metadata "$TMP/stream.json" --ca "$CERTS/ca.pem" \
  --data-hold-time 1000 -o raw --json >"$TMP/out.txt" 2>"$TMP/verify.err" &
verifier=$!
wait_for_event "$TMP/verify.err" verified 20 "$verifier"

ns_nft "$NS_A" 'table inet blackhole { chain in { type filter hook input priority 0; tcp dport 4433 drop; }; chain out { type filter hook output priority 0; tcp sport 4433 drop; }; }'
blackholed=$(now_ms)
for ((i = 0; i < 100; i++)); do
  grep -q '"state":"disconnected".*no manifest byte' "$TMP/verify.err" && break
  sleep 0.1
done
grep -q '"state":"disconnected".*no manifest byte' "$TMP/verify.err" ||
  { show_file "verifier" "$TMP/verify.err"; fail "the silent manifest channel was not given up within 10 s"; }
detected=$(($(now_ms) - blackholed))
ns_exec "$NS_A" nft delete table inet blackhole
before=$(count_events "$TMP/verify.err" verified)
for ((i = 0; i < 300; i++)); do
  (($(count_events "$TMP/verify.err" verified) > before + 20)) && break
  sleep 0.1
done
after=$(count_events "$TMP/verify.err" verified)
((after > before + 20)) || { show_file "verifier" "$TMP/verify.err"; fail "no delivery after the blackhole was removed"; }
kill -TERM "$verifier" "$sender" 2>/dev/null || true
wait "$verifier" "$sender" 2>/dev/null || true
# --lines: every delivered datagram is one whole line.
python3 - "$TMP/out.txt" <<'PY' || fail "--lines: a datagram that is not one line"
import re, sys
data = open(sys.argv[1], "rb").read()
lines = data.split(b"\n")
assert lines[-1] == b"", lines[-1]
assert all(re.fullmatch(rb"line-\d+", l) for l in lines[:-1]), [l for l in lines[:-1] if not re.fullmatch(rb"line-\d+", l)][:3]
PY
note "blackholed manifest channel given up after $detected ms; $before verified before, $after after the rule went: ok"
echo PASS
