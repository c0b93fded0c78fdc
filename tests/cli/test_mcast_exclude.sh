#!/usr/bin/env bash
# SSM exclude mode: --exclude S receives a group from every source but S (RFC 3376
# EXCLUDE {S}, through MCAST_BLOCK_SOURCE), IPv4 and IPv6.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd python3
netns_pair exA exB 10.99.60.1 10.99.60.2
ip -n "$NS_A" addr add 10.99.60.3/24 dev veth0
port=5060

run_case() {
  local group=$1 keep=$2 drop=$3
  mcast_recv "$NS_B" --exclude "$drop" "$group" "$port" -c 100 -t 10 -o none --json >/dev/null 2>"$TMP/rx.err" &
  local rx=$!
  wait_for_event "$TMP/rx.err" join 1 "$rx"
  mcast_sender "$NS_A" --source "$drop" --rate 1000 -c 100 "$group" "$port" 2>/dev/null &
  mcast_sender "$NS_A" --source "$keep" --rate 1000 -c 100 "$group" "$port" 2>/dev/null
  wait_rc "$rx"
  [[ $RC == 0 ]] || { show_file "receiver" "$TMP/rx.err"; fail "--exclude receiver for $group exited $RC"; }
  assert_eq "$drop" "$(json_field "$TMP/rx.err" join exclude)" "the join names the excluded source"
  assert_eq 1 "$(count_events "$TMP/rx.err" sender)" "senders heard with $drop excluded"
  [[ $(json_field "$TMP/rx.err" sender sender) == *"$keep"* ]] || fail "the sender heard is not $keep"
  assert_eq 100 "$(json_field "$TMP/rx.err" stats packets)" "datagrams from $keep"
  wait
}

run_case 239.99.60.1 10.99.60.1 10.99.60.3
note "IPv4 exclude: ok"

ip -n "$NS_A" -6 addr add 2001:db8:60::1/64 dev veth0 nodad
ip -n "$NS_A" -6 addr add 2001:db8:60::3/64 dev veth0 nodad
ip -n "$NS_B" -6 addr add 2001:db8:60::2/64 dev veth0 nodad
run_case ff0e::60 2001:db8:60::1 2001:db8:60::3
note "IPv6 exclude: ok"

rc=0
mcast_recv "$NS_B" --exclude 10.99.60.3 -s 10.99.60.1 232.99.60.1 "$port" -t 1 2>"$TMP/mixed.err" || rc=$?
assert_eq 1 "$rc" "--exclude with -s"
grep -q -- '--exclude is for ASM' "$TMP/mixed.err" || { show_file "stderr" "$TMP/mixed.err"; fail "no clear error for --exclude with -s"; }
echo PASS
