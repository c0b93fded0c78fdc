#!/usr/bin/env bash
# Joins and sends that the kernel refuses come with the cause in words and the fix, not
# only the errno's text (issue 14 item 4): ENODEV (no route to choose the interface by),
# ENETUNREACH (no route to the group), EADDRNOTAVAIL (--source not ours), EINVAL
# (source and group of different families), for taps-mcast-recv, taps-mcast-send and
# ambi-verify. Each fails at once with exit 2, one error, and no hang (taps-mcast-send
# with several groups used to wait for ever after the first failed; ambi-verify leaked
# its manifest connection when it ended before that was up).
source "$(dirname "$0")/lib.sh"
need_root
need_cmd ip
AMBI_VERIFY=${AMBI_VERIFY:-$TAPS_SOURCE_DIR/build/dev/ambi-tools/ambi-verify/ambi-verify}
[[ -x $AMBI_VERIFY ]] || fail "ambi-verify not found: AMBI_VERIFY=$AMBI_VERIFY"

# A namespace with lo and a veth pair that is down: no route toward anything.
ns="taps-mcerr-$$"
ip netns add "$ns"
_CLEANUP_NETNS+=("$ns")
ip -n "$ns" link set lo up
ip -n "$ns" link add v0 type veth peer name v1
ip -n "$ns" addr add 10.99.40.1/24 dev v0

# expect NAME CODE TEXT CMD...: CMD in the namespace exits CODE and its stderr holds TEXT.
expect() {
  local name=$1 code=$2 text=$3 rc=0
  shift 3
  ns_exec "$ns" timeout -k 3 10 "$@" >/dev/null 2>"$TMP/$name.err" || rc=$?
  [[ $rc == "$code" ]] || { show_file "$name" "$TMP/$name.err"; fail "$name: exit $rc, expected $code"; }
  grep -qF -- "$text" "$TMP/$name.err" || { show_file "$name" "$TMP/$name.err"; fail "$name: no '$text' in stderr"; }
  note "$name: $(head -n1 "$TMP/$name.err")"
}

R=$TAPS_MCAST_RECV S=$TAPS_MCAST_SEND
expect recv-asm 2 "join (*, 239.1.1.1): No such device: no route for 239.1.1.1 to choose the interface by: add one (ip route add 224.0.0.0/4 dev IF) or give -i IF" \
  "$R" 239.1.1.1 5000 -t 2
# The failed join says it all: no "nothing arrived" lines after it.
assert_eq 1 "$(wc -l <"$TMP/recv-asm.err")" "lines on stderr after a failed join"
expect recv-ssm 2 "no route toward the source 10.99.9.9 (nor for the group)" "$R" -s 10.99.9.9 232.1.1.1 5000 -t 2
expect recv-v6 2 "add one (ip -6 route add ff00::/8 dev IF) or give -i IF" "$R" ff3e::1 5000 -t 2
expect send-asm 2 "send to 239.1.1.1:5000: Network is unreachable: no route to 239.1.1.1: add a route (ip route add 224.0.0.0/4 dev IF) or give -i IF" \
  "$S" -c 1 239.1.1.1 5000
expect send-groups 2 "no route to ff3e::1" "$S" -c 1 239.1.1.1 ff3e::1 5000
expect send-down 2 "no route to 239.1.1.1 on v0: is it up, with an IPv4 address?" "$S" -i v0 -c 1 239.1.1.1 5000
expect send-source 2 "Cannot assign requested address: 10.99.9.9 is not an address of this host" \
  "$S" --source 10.99.9.9 -c 1 239.1.1.1 5000
expect send-family 2 "Invalid argument: the source 10.99.40.1 and the group ff3e::1 are of different address families" \
  "$S" --source 10.99.40.1 -c 1 ff3e::1 5000
expect verify-ssm 2 "join (10.99.9.9, 232.1.1.1): No such device: no route toward the source 10.99.9.9" \
  "$AMBI_VERIFY" -s 10.99.9.9 -g 232.1.1.1 -p 5000 --manifest ambi+tls://10.99.40.1:4433 -t 2

# ambi-verify ending (-t) while its manifest connection is still being set up: exit 4
# ("nothing verified"), not a Connection left racing past the event loop (under ASan
# that was a leak report and exit 1).
ip -n "$ns" link set v0 up
ip -n "$ns" link set v1 up
ip -n "$ns" route add 224.0.0.0/4 dev v0
rc=0
ns_exec "$ns" timeout -k 3 10 "$AMBI_VERIFY" -s 10.99.40.1 -g 232.1.1.1 -p 5000 --manifest ambi+tls://10.99.40.5:4433 -t 1 \
  >/dev/null 2>"$TMP/verify-racing.err" || rc=$?
[[ $rc == 4 ]] || { show_file "ambi-verify" "$TMP/verify-racing.err"; fail "ambi-verify -t 1 with its manifest server unreachable exited $rc, expected 4"; }
note "ambi-verify ends while its manifest connection races: exit 4"
echo PASS
