#!/usr/bin/env bash
# taps-mcast-recv's exit codes: 4 with hints when nothing arrives within -t, 2 with the
# sysctl named when a join passes igmp_max_msf, 1 on usage errors.
source "$(dirname "$0")/lib.sh"
need_root
netns_pair exitA exitB 10.99.5.1 10.99.5.2

rc=0
mcast_recv "$NS_B" -s 10.99.5.1 232.99.5.1 5007 -t 0.5 >"$TMP/t.out" 2>"$TMP/t.err" || rc=$?
assert_eq 4 "$rc" "exit code when nothing arrived within -t"
grep -q "nothing arrived" "$TMP/t.err" || { show_file "stderr" "$TMP/t.err"; fail "no silence message"; }
grep -q "hint: .*route" "$TMP/t.err" || { show_file "stderr" "$TMP/t.err"; fail "no route hint"; }
grep -q "hint: .*hop limit" "$TMP/t.err" || { show_file "stderr" "$TMP/t.err"; fail "no hop limit hint"; }
note "exit 4 with hints: ok"

# More sources than net.ipv4.igmp_max_msf allows on one socket.
max=$(ns_exec "$NS_B" cat /proc/sys/net/ipv4/igmp_max_msf)
args=()
for ((i = 1; i <= max + 1; i++)); do args+=(-s "10.99.5.$((i + 10))"); done
rc=0
mcast_recv "$NS_B" "${args[@]}" 232.99.5.1 5007 -t 1 >"$TMP/j.out" 2>"$TMP/j.err" || rc=$?
assert_eq 2 "$rc" "exit code when a join fails"
grep -q "igmp_max_msf ($max)" "$TMP/j.err" || { show_file "stderr" "$TMP/j.err"; fail "the error does not name net.ipv4.igmp_max_msf"; }
note "exit 2 naming igmp_max_msf: ok"

rc=0
mcast_recv "$NS_B" 10.0.0.1 5007 >/dev/null 2>"$TMP/u.err" || rc=$?
assert_eq 1 "$rc" "exit code for a unicast GROUP"
grep -q "10.0.0.1" "$TMP/u.err" || fail "usage error does not name the bad group"
note "exit 1 on usage errors: ok"
echo PASS
