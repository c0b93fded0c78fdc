#!/usr/bin/env bash
# First endpoint blackholed (its SYNs dropped): the second attempt starts one Connection
# Attempt Delay later (250 ms by default, 50 ms with --attempt-delay 50; +/- 20 ms by the
# JSON events) and wins; the blackholed attempt's socket is closed (no SYN-SENT left).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/race_lib.sh"
need_root
need_cmd socat nft ss python3
netns_pair rbhA rbhB 10.91.0.1 10.91.0.2
ip -n "$NS_B" addr add 10.91.0.3/24 dev veth0
serve_in "$NS_B" 0.0.0.0 7000 hello
ns_nft "$NS_B" $'table inet t {\n chain in {\n  type filter hook input priority 0;\n  ip daddr 10.91.0.2 tcp dport 7000 drop\n }\n}'

delay=250
check_delay() {
  local args=()
  [[ $delay != 250 ]] && args=(--attempt-delay "$delay")
  local rc=0
  tc_in "$NS_A" --json "${args[@]}" 10.91.0.2 7000 -r 10.91.0.3:7000 </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
  [[ $rc == 0 ]] || { show_file stderr "$TMP/err"; fail "exit $rc"; }
  assert_eq hello "$(cat "$TMP/out")" "stdout"
  assert_eq 2 "$(json_field "$TMP/err" ready id)" "the winner"
  assert_eq 10.91.0.3:7000 "$(json_field "$TMP/err" ready remote)" "the winner's remote"
  assert_eq 1 "$(count_events "$TMP/err" cancelled id=1)" "the blackholed attempt cancelled"
  local gap
  gap=$(attempt_gap_ms "$TMP/err" 1 2)
  RACE_WHY="second attempt $gap ms after the first, expected $delay +/- 20"
  within_ms "$gap" $((delay - 20)) $((delay + 20))
}
race_with_retries 3 check_delay
note "default delay: ok ($RACE_WHY)"
delay=50
race_with_retries 3 check_delay
note "--attempt-delay 50: ok ($RACE_WHY)"

# The loser's socket is closed as soon as the race is won: no SYN-SENT socket left
# while the winner's connection is still open.
fifo_from sleep 20
tc_in "$NS_A" --json --attempt-delay 50 10.91.0.2 7000 -r 10.91.0.3:7000 <"$FIFO" >"$TMP/out2" 2>"$TMP/err2" &
client=$!
wait_for_event "$TMP/err2" ready 1 "$client"
sleep 0.2
left=$(ns_exec "$NS_A" ss -Htn state syn-sent | wc -l)
assert_eq 0 "$left" "SYN-SENT sockets left in the client after the win"
assert_eq 1 "$(ns_exec "$NS_A" ss -Htn state established '( dport = :7000 )' | wc -l)" "established connections"
kill_tree "$client"
note "the blackholed attempt's socket is closed: ok"
echo PASS
