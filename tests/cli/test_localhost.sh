#!/usr/bin/env bash
# RFC 6761 6.3 (issue 16 item 21): "localhost" and "*.localhost" are ::1 and 127.0.0.1
# without asking DNS. The namespace's hosts file knows no localhost at all and its
# resolver points at an address where nothing answers: before the fix, the lookup went
# to that resolver and waited for its timeout.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/race_lib.sh"
need_root
need_cmd socat python3
netns_pair lhA lhB 10.94.0.1 10.94.0.2
ns_hosts "$NS_A" '10.94.0.2 other.test'
printf 'nameserver 10.94.0.2\noptions timeout:5 attempts:2\n' >"/etc/netns/$NS_A/resolv.conf"
ip netns exec "$NS_A" socat -U TCP6-LISTEN:7100,ipv6only=1,reuseaddr,fork SYSTEM:'printf six' </dev/null >/dev/null 2>&1 &
ip netns exec "$NS_A" socat -U TCP4-LISTEN:7100,reuseaddr,fork SYSTEM:'printf four' </dev/null >/dev/null 2>&1 &
sleep 0.5

for name in localhost app.LOCALHOST localhost.; do
  start=$(now_ms)
  rc=0
  tc_in "$NS_A" --json "$name" 7100 </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
  took=$(($(now_ms) - start))
  [[ $rc == 0 ]] || { show_file stderr "$TMP/err"; fail "$name: exit $rc"; }
  assert_eq six "$(cat "$TMP/out")" "$name: answered over ::1 first"
  assert_eq 1 "$(count_events "$TMP/err" resolve query=AAAA addresses=::1)" "$name: AAAA is ::1"
  assert_eq 1 "$(count_events "$TMP/err" resolve query=A addresses=127.0.0.1)" "$name: A is 127.0.0.1"
  ((took < 4000)) || fail "$name took $took ms: the resolver was asked"
  note "$name -> ::1 and 127.0.0.1 without DNS ($took ms): ok"
done
rc=0
tc_in "$NS_A" --json -4 localhost 7100 </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
[[ $rc == 0 ]] || { show_file stderr "$TMP/err"; fail "-4 localhost: exit $rc"; }
assert_eq four "$(cat "$TMP/out")" "-4 localhost over 127.0.0.1"
note "-4 localhost: ok"
echo PASS
