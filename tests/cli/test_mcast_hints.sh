#!/usr/bin/env bash
# Hints that measure (issue 14 item 4): reverse-path drops counted by the kernel with
# the rp_filter values, a forced IGMPv2 warned at join time (an SSM join goes out as
# ASM), an SSM-range group without a source, the route toward the source (not the
# group), and hints as JSON events.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd python3
netns_pair hnA hnB 10.99.70.1 10.99.70.2
port=5070

# --- reverse-path filter: the source 10.77.0.1 is routed via another interface in B -----
ip -n "$NS_A" addr add 10.77.0.1/24 dev veth0
ip -n "$NS_B" link add hn0 type veth peer name hn1
ip -n "$NS_B" link set hn0 up
ip -n "$NS_B" link set hn1 up
ip -n "$NS_B" route add 10.77.0.0/24 dev hn0
ip netns exec "$NS_B" sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.veth0.rp_filter=1
mcast_recv "$NS_B" -i veth0 -s 10.77.0.1 232.99.70.1 "$port" -t 3 --hint-after 1.5 -o none --json \
  >/dev/null 2>"$TMP/rp.err" &
rx=$!
wait_for_event "$TMP/rp.err" join 1 "$rx"
mcast_sender "$NS_A" --source 10.77.0.1 -i veth0 --rate 200 -c 100 232.99.70.1 "$port" 2>/dev/null
wait_rc "$rx"
assert_eq 4 "$RC" "receiver behind a strict reverse-path filter"
grep -q '"event":"hint".*dropped [0-9]* packets by reverse-path filtering (IPReversePathFilter.*rp_filter all=1 veth0=1' "$TMP/rp.err" \
  || { show_file "stderr" "$TMP/rp.err"; fail "no measured reverse-path hint"; }
grep -q '"hint":"the join and the reverse-path check follow the route toward 10.77.0.1: ip route get 10.77.0.1"' "$TMP/rp.err" \
  || { show_file "stderr" "$TMP/rp.err"; fail "no route hint toward the source"; }
note "reverse-path drops measured: ok"

# --- IGMPv2 forced: an SSM join is warned at join time -------------------------------------
ip netns exec "$NS_B" sysctl -qw net.ipv4.conf.veth0.force_igmp_version=2
mcast_recv "$NS_B" -s 10.99.70.1 232.99.70.2 "$port" -t 0.5 -o none 2>"$TMP/v2.err" || true
grep -q 'warning: veth0 is forced to IGMPv2 (force_igmp_version=2).*as an ASM join' "$TMP/v2.err" \
  || { show_file "stderr" "$TMP/v2.err"; fail "forced IGMPv2 not warned"; }
ip netns exec "$NS_B" sysctl -qw net.ipv4.conf.veth0.force_igmp_version=0
note "forced IGMPv2 warned: ok"

# --- 232/8 without a source --------------------------------------------------------------
mcast_recv "$NS_B" 232.99.70.3 "$port" -t 0.5 -o none 2>"$TMP/nosrc.err" || true
grep -q 'warning: 232.99.70.3 is in the SSM range (232.0.0.0/8) but no source is given' "$TMP/nosrc.err" \
  || { show_file "stderr" "$TMP/nosrc.err"; fail "SSM group without a source not warned"; }
note "SSM group without source warned: ok"

# --- IPv6 hints print [G]:PORT and no %zone in ip -6 route get -----------------------------
ip -n "$NS_B" -6 addr add 2001:db8:70::2/64 dev veth0 nodad
mcast_recv "$NS_B" -i veth0 -s 2001:db8:70::1 ff3e::8000:70 "$port" -t 1 --hint-after 0.5 -o none 2>"$TMP/v6.err" || true
grep -q 'nothing arrived for \[ff3e::8000:70\]:5070' "$TMP/v6.err" || { show_file "stderr" "$TMP/v6.err"; fail "group not printed as [G]:PORT"; }
grep -q 'ip -6 route get 2001:db8:70::1$' "$TMP/v6.err" || { show_file "stderr" "$TMP/v6.err"; fail "no plain ip -6 route get SOURCE"; }
note "IPv6 hint spelling: ok"
# --- the received TTL: 1 from a sender with --ttl 1, 5 with --ttl 5 (no router here) ------
for ttl in 1 5; do
  mcast_recv "$NS_B" -s 10.99.70.1 232.99.70.4 "$port" -c 5 -o none --json >/dev/null 2>"$TMP/ttl$ttl.err" &
  rx=$!
  wait_for_event "$TMP/ttl$ttl.err" join 1 "$rx"
  mcast_sender "$NS_A" --source 10.99.70.1 --ttl "$ttl" --rate 100 -c 5 232.99.70.4 "$port" 2>/dev/null
  wait_rc "$rx"
  assert_eq 0 "$RC" "receiver of a --ttl $ttl sender"
  assert_eq "$ttl" "$(json_field "$TMP/ttl$ttl.err" stats ttl)" "received TTL"
done
assert_eq 1 "$(count_events "$TMP/ttl1.err" hint ttl=1)" "a hint for TTL 1 on arrival"
assert_eq 0 "$(count_events "$TMP/ttl5.err" hint)" "hints for TTL 5"
note "received TTL: ok"
echo PASS
