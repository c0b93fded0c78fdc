#!/usr/bin/env bash
# Many groups in one process: 100 SSM groups by range (past net.ipv4.igmp_max_memberships,
# 20 groups per socket) are all joined and all heard, with statistics per (S,G,port);
# S@G:PORT arguments mix groups and ports.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd python3
netns_pair grpA grpB 10.99.30.1 10.99.30.2
max=$(ip netns exec "$NS_B" cat /proc/sys/net/ipv4/igmp_max_memberships)
note "igmp_max_memberships is $max"

# --- 100 groups by range, one sender process, one receiver process ----------------------
groups=100
per_group=20
mcast_recv "$NS_B" -s 10.99.30.1 232.99.30.1+$((groups - 1)) 5030 -c $((groups * per_group)) -o none --seq u32 --json \
  >/dev/null 2>"$TMP/rx.err" &
rx=$!
wait_for_event "$TMP/rx.err" join "$groups" "$rx"
mcast_sender "$NS_A" --source 10.99.30.1 -i veth0 --rate 200 -c "$per_group" --seq u32 --json \
  232.99.30.1+$((groups - 1)) 5030 2>"$TMP/tx.err" || { show_file "sender" "$TMP/tx.err"; fail "sender to $groups groups failed"; }
wait_rc "$rx"
[[ $RC == 0 ]] || { show_file "receiver" "$TMP/rx.err"; fail "receiver of $groups groups exited $RC"; }
assert_eq "$groups" "$(count_events "$TMP/rx.err" join)" "groups joined"
assert_eq "$groups" "$(count_events "$TMP/tx.err" sent packets=$per_group)" "groups sent to"
assert_eq "$groups" "$(count_events "$TMP/rx.err" stats packets=$per_group lost=0)" "groups with every datagram"
assert_eq 1 "$(count_events "$TMP/rx.err" stats group=232.99.30.100:5030)" "stats of the last group of the range"
((groups > max)) || fail "the test must exceed igmp_max_memberships ($max)"
note "$groups groups (> igmp_max_memberships $max) joined and heard: ok"

# --- S@G:PORT: two groups on two ports, one of them twice (one stats entry each) --------
mcast_recv "$NS_B" 10.99.30.1@232.99.31.1:5031 10.99.30.1@232.99.31.2:5032 -c 20 -o none --json \
  >/dev/null 2>"$TMP/rx2.err" &
rx=$!
wait_for_event "$TMP/rx2.err" join 2 "$rx"
mcast_sender "$NS_A" --source 10.99.30.1 --rate 500 -c 10 232.99.31.1:5031 232.99.31.2:5032 2>"$TMP/tx2.err"
wait_rc "$rx"
[[ $RC == 0 ]] || { show_file "receiver" "$TMP/rx2.err"; fail "receiver of two S@G:PORT exited $RC"; }
assert_eq 1 "$(count_events "$TMP/rx2.err" stats group=232.99.31.1:5031 packets=10)" "232.99.31.1:5031"
assert_eq 1 "$(count_events "$TMP/rx2.err" stats group=232.99.31.2:5032 packets=10)" "232.99.31.2:5032"
note "S@G:PORT: ok"
echo PASS
