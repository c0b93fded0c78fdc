#!/usr/bin/env bash
# Interface selection: a client with two veths, a and b, to two peers that both serve
# 10.95.9.9 (the route via a is preferred). -i b goes via b; -i a:prohibit never uses a;
# -i a:avoid uses b, and a only once b fails; a link-local IPv6 address with a scope
# (fe80::a2%a) goes out of that interface.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/race_lib.sh"
need_root
need_cmd socat ss python3
NS_C="taps-rifC-$$"
NS_PA="taps-rifA-$$"
NS_PB="taps-rifB-$$"
for ns in "$NS_C" "$NS_PA" "$NS_PB"; do
  ip netns add "$ns" || fail "ip netns add $ns"
  _CLEANUP_NETNS+=("$ns")
  ip -n "$ns" link set lo up
done
for side in a b; do
  peer=$NS_PA
  [[ $side == b ]] && peer=$NS_PB
  n=1
  [[ $side == b ]] && n=2
  ip link add "tr$$$side" type veth peer name "tr$$${side}p" || fail "veth"
  ip link set "tr$$$side" netns "$NS_C"
  ip link set "tr$$${side}p" netns "$peer"
  ip -n "$NS_C" link set "tr$$$side" name "$side"
  ip -n "$peer" link set "tr$$${side}p" name veth0
  ip -n "$NS_C" link set dev "$side" up
  ip -n "$peer" link set veth0 up
  ip -n "$NS_C" addr add "10.95.$n.1/24" dev "$side"
  ip -n "$peer" addr add "10.95.$n.2/24" dev veth0
  ip -n "$peer" addr add 10.95.9.9/32 dev lo
  ip -n "$peer" route add default via "10.95.$n.1"
done
ip -n "$NS_C" route add 10.95.9.9 via 10.95.1.2 dev a metric 100
ip -n "$NS_C" route add 10.95.9.9 via 10.95.2.2 dev b metric 200
# Replies from 10.95.9.9 arrive on b too, where the best route back is via a.
for conf in all default a b; do ns_exec "$NS_C" sysctl -qw "net.ipv4.conf.$conf.rp_filter=0"; done
ip -n "$NS_PA" -6 addr add fe80::a2/64 dev veth0 nodad
# The client's own link-local address on a is tentative until DAD ends; a connect from
# it before then fails with EADDRNOTAVAIL (seen on a loaded machine).
for _ in $(seq 50); do
  [[ -z $(ip -n "$NS_C" -6 addr show dev a tentative) ]] && break
  sleep 0.1
done
serve_in "$NS_PA" 10.95.9.9 7000 peer-a
serve_in "$NS_PB" 10.95.9.9 7000 peer-b
serve_in "$NS_PA" :: 7001 peer-a-v6

# via ARGS...: taps-cat in the client; sets VIA to what the peer said.
via() {
  local rc=0
  tc_in "$NS_C" --json --attempt-delay 100 "$@" </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
  [[ $rc == 0 ]] || { show_file stderr "$TMP/err"; fail "taps-cat $*: exit $rc"; }
  VIA=$(cat "$TMP/out")
}

via 10.95.9.9 7000
assert_eq peer-a "$VIA" "without -i (the route via a)"
via -i b 10.95.9.9 7000
assert_eq peer-b "$VIA" "-i b"
assert_eq b "$(json_field "$TMP/err" ready interface)" "-i b: the ready event's interface"
via -i a:prohibit 10.95.9.9 7000
assert_eq peer-b "$VIA" "-i a:prohibit"
assert_eq 0 "$(count_events "$TMP/err" attempt interface=a)" "-i a:prohibit: attempts via a"
via -i a:avoid 10.95.9.9 7000
assert_eq peer-b "$VIA" "-i a:avoid while b works"
assert_eq b "$(json_field "$TMP/err" attempt interface id=1)" "-i a:avoid: the first attempt"
note "-i b, -i a:prohibit, -i a:avoid: ok"

# b fails (its server refuses): the avoided a is used.
ns_exec "$NS_PB" nft -f - <<<$'table inet t {\n chain in {\n  type filter hook input priority 0;\n  tcp dport 7000 reject with tcp reset\n }\n}' ||
  fail "nft"
via -i a:avoid 10.95.9.9 7000
assert_eq peer-a "$VIA" "-i a:avoid once b fails"
assert_eq 1 "$(count_events "$TMP/err" attempt_failed interface=b)" "the failed attempt via b"
assert_eq a "$(json_field "$TMP/err" ready interface)" "the winner's interface"
note "-i a:avoid: a only after b failed: ok"

via "fe80::a2%a" 7001
assert_eq peer-a-v6 "$VIA" "link-local with a scope"
assert_eq "[fe80::a2%a]:7001" "$(json_field "$TMP/err" attempt remote)" "the link-local attempt"
assert_eq a "$(json_field "$TMP/err" attempt interface)" "the link-local attempt's interface"
note "fe80::a2%a: ok"
echo PASS
