#!/usr/bin/env bash
# IPv6 between namespaces: SSM (ff3e::/96) receives only its source; ASM (ff0e::)
# receives any.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd python3
netns_pair v6A v6B 2001:db8:99::1 2001:db8:99::2
ip -n "$NS_A" -6 addr add 2001:db8:99::3/64 dev veth0 nodad
port=5003

# --- SSM ff3e::8000:99 from 2001:db8:99::1; 2001:db8:99::3 sends too and is not heard -
group=ff3e::8000:99
mcast_recv "$NS_B" -s 2001:db8:99::1 "$group" "$port" -c 100 -o none --seq u32 --json >/dev/null 2>"$TMP/ssm.err" &
rx=$!
wait_for_event "$TMP/ssm.err" join 1 "$rx"
mcast_send "$NS_A" 2001:db8:99::3 "$group" "$port" 100 2000 &
mcast_send "$NS_A" 2001:db8:99::1 "$group" "$port" 100 2000
wait_rc "$rx"
[[ $RC == 0 ]] || { show_file "receiver stderr" "$TMP/ssm.err"; fail "IPv6 SSM receiver exited $RC"; }
assert_eq 1 "$(count_events "$TMP/ssm.err" sender)" "IPv6 SSM senders"
[[ $(json_field "$TMP/ssm.err" sender sender) == "[2001:db8:99::1]:"* ]] || fail "IPv6 SSM sender is not 2001:db8:99::1"
assert_eq 100 "$(json_field "$TMP/ssm.err" stats packets)" "IPv6 SSM packets"
assert_eq 2001:db8:99::1 "$(json_field "$TMP/ssm.err" join source)" "IPv6 SSM join source"
note "IPv6 SSM: ok"
wait

# --- ASM ff0e::99: both sources ------------------------------------------------------
group=ff0e::99
mcast_recv "$NS_B" "$group" "$port" -c 100 -o none --json >/dev/null 2>"$TMP/asm.err" &
rx=$!
wait_for_event "$TMP/asm.err" join 1 "$rx"
mcast_send "$NS_A" 2001:db8:99::3 "$group" "$port" 50 2000 &
mcast_send "$NS_A" 2001:db8:99::1 "$group" "$port" 50 2000
wait_rc "$rx"
[[ $RC == 0 ]] || { show_file "receiver stderr" "$TMP/asm.err"; fail "IPv6 ASM receiver exited $RC"; }
assert_eq 2 "$(count_events "$TMP/asm.err" sender)" "IPv6 ASM senders"
note "IPv6 ASM: ok"
echo PASS
