#!/usr/bin/env bash
# A Listener on a host name resolves it on the event loop (c-ares): A and AAAA at once,
# no resolver thread, and it binds every address of both answers. A DNS server in a
# namespace answers both queries 1.5 s late: while they wait, taps-cat -l is one thread;
# then the Listener serves on 127.0.0.1 and on ::1. A name nobody knows is an error
# naming it, with the exit code of a failed listen.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/race_lib.sh"
need_root
need_cmd socat python3

NS="taps-lhost-$$"
ip netns add "$NS" || fail "ip netns add $NS"
_CLEANUP_NETNS+=("$NS")
ip -n "$NS" link set lo up
ns_hosts "$NS" '127.0.0.1 localhost'
slow_dns_in "$NS" both.test/A/127.0.0.1/1500 both.test/AAAA/::1/1500

tc_in "$NS" -l -k --json both.test 7300 </dev/null >"$TMP/out" 2>"$TMP/err" &
listener=$!
threads=$(threads_while_asking "$listener" both.test)
[[ -n $threads ]] || { show_file dns "$TMP/dns.log"; fail "taps-cat -l both.test did not ask A and AAAA within 5 s"; }
assert_eq 1 "$threads" "threads of taps-cat -l while it resolves its local name"
note "A and AAAA asked at once, one thread while they wait"

for ((i = 0; i < 100; i++)); do
  (($(count_events "$TMP/err" listening) >= 1)) && break
  sleep 0.1
done
grep -q '"listening"' "$TMP/err" || { show_file stderr "$TMP/err"; fail "no listening event after the answers"; }
for addr in '[::1]' 127.0.0.1; do
  grep -qF "\"local\":\"$addr:7300\"" "$TMP/err" || { show_file stderr "$TMP/err"; fail "not listening on $addr:7300"; }
  printf 'to %s\n' "$addr" | ip netns exec "$NS" timeout 10 socat -u - "TCP:$addr:7300" ||
    fail "cannot connect to $addr:7300"
done
for ((i = 0; i < 50; i++)); do
  (($(wc -l <"$TMP/out") >= 2)) && break
  sleep 0.1
done
assert_eq "$(printf 'to [::1]\nto 127.0.0.1')" "$(cat "$TMP/out")" "bytes over both addresses"
kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null || true
note "both.test: listening on [::1]:7300 and 127.0.0.1:7300, bytes intact"

rc=0
tc_in "$NS" -l missing.test 7301 </dev/null >/dev/null 2>"$TMP/missing.err" || rc=$?
[[ $rc != 0 ]] || fail "listening on a name nobody knows succeeded"
grep -q 'cannot resolve missing.test' "$TMP/missing.err" || { show_file stderr "$TMP/missing.err"; fail "no reason on stderr"; }
note "missing.test: exit $rc, $(head -c 200 "$TMP/missing.err")"
echo PASS
