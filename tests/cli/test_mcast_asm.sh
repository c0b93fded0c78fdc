#!/usr/bin/env bash
# ASM: two senders in A to one group; taps-mcast-recv in B receives both, one "sender"
# per source address and port, with correct per-sender statistics.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd python3
netns_pair asmA asmB 10.99.2.1 10.99.2.2
ip -n "$NS_A" addr add 10.99.2.3/24 dev veth0
group=239.99.2.1
port=5002

mcast_recv "$NS_B" "$group" "$port" -c 500 -o none --seq u32 --json >/dev/null 2>"$TMP/rx.err" &
rx=$!
wait_for_event "$TMP/rx.err" join 1 "$rx"
mcast_send "$NS_A" 10.99.2.1 "$group" "$port" 300 2000 &
mcast_send "$NS_A" 10.99.2.3 "$group" "$port" 200 2000 &
wait_rc "$rx"
[[ $RC == 0 ]] || { show_file "receiver stderr" "$TMP/rx.err"; fail "taps-mcast-recv -c 500 exited $RC"; }
assert_eq 2 "$(count_events "$TMP/rx.err" sender)" "sender events"
assert_json_golden taps-mcast-recv "$TMP/rx.err"
[[ -z $(json_field "$TMP/rx.err" join source) ]] || fail "an ASM join has no source"
for pair in 10.99.2.1:300 10.99.2.3:200; do
  addr=${pair%%:*} n=${pair##*:}
  line=$(grep '"event":"stats"' "$TMP/rx.err" | grep "\"sender\":\"$addr:" || true)
  [[ -n $line ]] || { show_file "receiver stderr" "$TMP/rx.err"; fail "no stats for sender $addr"; }
  assert_eq "$n" "$(sed -E 's/.*"packets":([0-9]+).*/\1/' <<<"$line")" "packets from $addr"
  assert_eq $((n * 1200)) "$(sed -E 's/.*"bytes":([0-9]+).*/\1/' <<<"$line")" "bytes from $addr"
  assert_eq 0 "$(sed -E 's/.*"lost":([0-9]+).*/\1/' <<<"$line")" "lost from $addr"
  grep -q "\"event\":\"sender\",\"sender\":\"$addr:" "$TMP/rx.err" || fail "no sender event for $addr"
done
note "ASM: two senders, 300 + 200 datagrams, per-sender statistics: ok"
echo PASS
