#!/usr/bin/env bash
# Protocol racing against a TCP-only server: with --protocols tls,tcp the TLS attempt
# fails, TCP wins, the JSON ready names the stack and stderr warns; --tls alone never
# falls back to plain TCP.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/race_lib.sh"
need_root
need_cmd socat python3
netns_pair rprA rprB 10.97.0.1 10.97.0.2
serve_in "$NS_B" 10.97.0.2 7000 plain-hello

rc=0
tc_in "$NS_A" --json --protocols tls,tcp 10.97.0.2 7000 </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
[[ $rc == 0 ]] || { show_file stderr "$TMP/err"; fail "--protocols tls,tcp: exit $rc"; }
assert_eq plain-hello "$(cat "$TMP/out")" "stdout"
assert_eq 1 "$(count_events "$TMP/err" attempt id=1 stack=tls/tcp)" "TLS tried first"
assert_eq 1 "$(count_events "$TMP/err" attempt_failed id=1 stack=tls/tcp)" "TLS failed"
assert_eq 1 "$(count_events "$TMP/err" attempt id=2 stack=tcp)" "then TCP"
assert_eq tcp "$(json_field "$TMP/err" ready stack)" "the stack that won"
grep -q '^taps-cat: warning: TLS could not be established' "$TMP/err" || { show_file stderr "$TMP/err"; fail "no plaintext warning"; }
note "--protocols tls,tcp: TCP won and it warned: ok"

rc=0
tc_in "$NS_A" --json --tls --attempt-delay 10 10.97.0.2 7000 </dev/null >"$TMP/out2" 2>"$TMP/err2" || rc=$?
[[ $rc == 2 ]] || { show_file stderr "$TMP/err2"; fail "--tls against a TCP server: exit $rc, expected 2"; }
assert_eq 0 "$(count_events "$TMP/err2" attempt stack=tcp)" "plain TCP attempts with --tls"
assert_eq 0 "$(count_events "$TMP/err2" ready)" "ready with --tls"
[[ -s $TMP/out2 ]] && fail "--tls wrote plaintext to stdout"
note "--tls alone never falls back: ok"
echo PASS
