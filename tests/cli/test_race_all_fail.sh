#!/usr/bin/env bash
# Every candidate fails (refused, refused, no route): one establishment error that
# names every attempt, and exit 2.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/race_lib.sh"
need_root
need_cmd python3
netns_pair rafA rafB 10.94.0.1 10.94.0.2
ip -n "$NS_B" addr add 10.94.0.3/24 dev veth0

rc=0
tc_in "$NS_A" --json 10.94.0.2 7000 -r 10.94.0.3:7001 -r 10.77.7.7:7002 </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
[[ $rc == 2 ]] || { show_file stderr "$TMP/err"; fail "exit $rc, expected 2"; }
assert_eq 3 "$(count_events "$TMP/err" attempt)" "attempts"
assert_eq 3 "$(count_events "$TMP/err" attempt_failed)" "failed attempts"
assert_eq 1 "$(count_events "$TMP/err" establishment_error)" "establishment errors"
errors=$(grep -c '^taps-cat: ' "$TMP/err" || true)
assert_eq 1 "$errors" "error lines on stderr"
line=$(grep '^taps-cat: ' "$TMP/err")
for remote in 10.94.0.2:7000 10.94.0.3:7001 10.77.7.7:7002; do
  [[ $line == *"$remote"* ]] || fail "the error does not name $remote: $line"
done
[[ $line == *"all 3 attempts failed"* ]] || fail "unexpected error: $line"
[[ -s $TMP/out ]] && fail "stdout is not empty"
note "$line"
echo PASS
