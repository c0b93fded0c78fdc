#!/usr/bin/env bash
# First endpoint refused (RST): the second attempt starts at once (< 20 ms), without
# waiting the Connection Attempt Delay.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/race_lib.sh"
need_root
need_cmd socat ss python3
netns_pair rrfA rrfB 10.92.0.1 10.92.0.2
ip -n "$NS_B" addr add 10.92.0.3/24 dev veth0
serve_in "$NS_B" 10.92.0.3 7000 hello

check_refused() {
  local rc=0
  tc_in "$NS_A" --json --attempt-delay 1000 10.92.0.2 7000 -r 10.92.0.3:7000 </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
  [[ $rc == 0 ]] || { show_file stderr "$TMP/err"; fail "exit $rc"; }
  assert_eq hello "$(cat "$TMP/out")" "stdout"
  assert_eq 1 "$(count_events "$TMP/err" attempt_failed id=1)" "attempt 1 refused"
  assert_eq 2 "$(json_field "$TMP/err" ready id)" "the winner"
  local gap
  gap=$(attempt_gap_ms "$TMP/err" 1 2)
  RACE_WHY="second attempt $gap ms after the refused first, expected < 20"
  within_ms "$gap" 0 20
}
race_with_retries 3 check_refused
note "refused: next attempt at once: ok ($RACE_WHY)"
echo PASS
