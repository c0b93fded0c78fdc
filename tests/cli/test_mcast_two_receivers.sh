#!/usr/bin/env bash
# Two receivers on one host, same group and port (SO_REUSEADDR): both get every datagram.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd python3
netns_pair twoA twoB 10.99.4.1 10.99.4.2
group=232.99.4.1
port=5006
for i in 1 2; do
  mcast_recv "$NS_B" -s 10.99.4.1 "$group" "$port" -c 1000 -o hex --json >"$TMP/rx$i.out" 2>"$TMP/rx$i.err" &
  eval "rx$i=$!"
  wait_for_event "$TMP/rx$i.err" join 1
done
mcast_send "$NS_A" 10.99.4.1 "$group" "$port" 1000 5000
for i in 1 2; do
  pid_var="rx$i"
  wait_rc "${!pid_var}"
  [[ $RC == 0 ]] || { show_file "receiver $i stderr" "$TMP/rx$i.err"; fail "receiver $i exited $RC"; }
  assert_eq 1000 "$(wc -l <"$TMP/rx$i.out")" "datagrams at receiver $i"
done
cmp -s "$TMP/rx1.out" "$TMP/rx2.out" || fail "the two receivers got different datagrams"
note "two receivers, 1000 datagrams each, identical: ok"
echo PASS
