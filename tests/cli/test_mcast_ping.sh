#!/usr/bin/env bash
# taps-mcast-recv --ping against taps-mcast-send --responder (issue 14 item 5, like
# ssmping): between two namespaces over IPv4 and IPv6, one line per probe with both
# RTTs and the hops; a group the responder does not serve is refused in words; a
# responder that cannot send from the address asked (DNAT) says why, and so does the
# probe; with multicast dropped by nftables but unicast answered, exit 6 and a sentence
# saying multicast did not arrive; without a responder, exit 4 and a sentence,
# promptly; the hops are the TTL the multicast answers lost on the way.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd python3 nft
netns_pair pingA pingB 10.99.30.1 10.99.30.2
_netns_addr "$NS_A" fd99:30::1
_netns_addr "$NS_B" fd99:30::2

# responder NS ARGS...: start taps-mcast-send --responder in NS, wait for "listening".
responder() {
  local ns=$1
  shift
  mcast_sender "$ns" --responder --json "$@" 2>"$TMP/responder.err" &
  RESPONDER=$!
  wait_for_event "$TMP/responder.err" listening 1 "$RESPONDER"
}

# ping NS NAME ARGS...: taps-mcast-recv --ping ... in NS; stdout to $TMP/NAME.out,
# stderr to $TMP/NAME.err, exit code in RC, seconds taken in SECONDS_TAKEN.
ping_from() {
  local ns=$1 name=$2 start
  shift 2
  start=$(now_ms)
  RC=0
  mcast_recv "$ns" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || RC=$?
  SECONDS_TAKEN=$((($(now_ms) - start) / 1000))
}

# --- IPv4, default group 232.43.211.234: 3 probes, 3 lines, hops 0, JSON fields -------
responder "$NS_A"
ping_from "$NS_B" v4 --ping 10.99.30.1 -c 3 --interval 0.2 --json
[[ $RC == 0 ]] || { show_file stdout "$TMP/v4.out"; show_file stderr "$TMP/v4.err"; fail "--ping exited $RC, expected 0"; }
assert_eq 3 "$(grep -c 'seq=' "$TMP/v4.out")" "probe lines"
grep -Eq '^10\.99\.30\.1@232\.43\.211\.234 seq=1 unicast [0-9.]+ ms multicast [0-9.]+ ms hops 0 \(ttl 64 of 64\)$' "$TMP/v4.out" ||
  { show_file stdout "$TMP/v4.out"; fail "probe line format"; }
grep -q 'ping: unicast 3/3 answered (0% loss).*multicast 3/3 answered (0% loss).*hops 0$' "$TMP/v4.out" ||
  { show_file stdout "$TMP/v4.out"; fail "summary line"; }
assert_eq 3 "$(count_events "$TMP/v4.err" ping unicast=True multicast=True hops=0 ttl=64)" "ping events with both answers"
python3 - "$TMP/v4.err" <<'PY' || fail "ping event fields"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
pings = [e for e in events if e["event"] == "ping"]
assert [e["seq"] for e in pings] == [1, 2, 3], pings
assert all(e["unicast_rtt_ms"] > 0 and e["multicast_rtt_ms"] > 0 for e in pings), pings
summary = [e for e in events if e["event"] == "ping_summary"][-1]
assert summary["probes"] == 3 and summary["unicast_answered"] == 3 and summary["multicast_answered"] == 3, summary
assert summary["hops"] == 0 and summary["multicast_rtt_avg_ms"] > 0, summary
PY
assert_eq 3 "$(count_events "$TMP/responder.err" answer multicast=True)" "answers the responder reports"
note "IPv4: 3 probes, unicast and multicast answered, hops 0: ok"

# --- IPv6, default group ff3e::4321:1234 -----------------------------------------------
ping_from "$NS_B" v6 --ping fd99:30::1 -c 2 --interval 0.2
[[ $RC == 0 ]] || { show_file stdout "$TMP/v6.out"; show_file stderr "$TMP/v6.err"; fail "IPv6 --ping exited $RC"; }
assert_eq 2 "$(grep -Ec '^fd99:30::1@ff3e::4321:1234 seq=[12] unicast [0-9.]+ ms multicast [0-9.]+ ms hops 0 \(ttl 64 of 64\)$' "$TMP/v6.out")" "IPv6 probe lines"
note "IPv6: ok"

# --- a group the responder does not serve: refused, in words, exit 2 --------------------
ping_from "$NS_B" refused --ping 10.99.30.1@232.1.2.3 -c 1
assert_eq 2 "$RC" "exit code for a group not served"
grep -q 'refused the probe: 10.99.30.1@232.1.2.3 is not served here' "$TMP/refused.err" || { show_file stderr "$TMP/refused.err"; fail "no refusal in words"; }
note "a group not served is refused: ok"

# --- the responder cannot send from the address asked: A answers for 10.99.30.77 by DNAT,
# but cannot send multicast from an address it does not have. The unicast answers say
# so, and the probe names that cause instead of the network's. -------------------------
mac=$(ip -n "$NS_A" -o link show veth0 | sed -nE 's/.*link\/ether ([0-9a-f:]+).*/\1/p')
ip -n "$NS_B" neigh add 10.99.30.77 lladdr "$mac" dev veth0
ns_nft "$NS_A" "table ip natping {
  chain pre {
    type nat hook prerouting priority -100;
    ip daddr 10.99.30.77 udp dport 4321 dnat to 10.99.30.1;
  }
}"
ping_from "$NS_B" natted --ping 10.99.30.77 -c 2 --interval 0.2
assert_eq 6 "$RC" "exit code when the responder cannot send the multicast answer"
grep -q 'the responder 10.99.30.77:4321 could not send it (cannot answer by multicast: .*10.99.30.77.*Cannot assign requested address' "$TMP/natted.err" ||
  { show_file stderr "$TMP/natted.err"; fail "the responder's reason is not named"; }
ns_exec "$NS_A" nft delete table ip natping
note "the responder cannot send from the address asked: its reason is named: ok"

# --- multicast dropped on the way in, unicast answered: exit 6 and the sentence ---------
ns_nft "$NS_B" "table inet nomcast {
  chain in {
    type filter hook input priority 0;
    ip daddr 224.0.0.0/4 udp dport != 4321 counter drop;
  }
}"
ping_from "$NS_B" blocked --ping 10.99.30.1 -c 2 --interval 0.2 --json
assert_eq 6 "$RC" "exit code when only unicast answers"
assert_eq 2 "$(grep -Ec 'seq=[12] unicast [0-9.]+ ms multicast -$' "$TMP/blocked.out")" "probe lines without multicast"
grep -q 'multicast did not arrive: 10.99.30.1 answered 2 of 2 probes by unicast' "$TMP/blocked.err" ||
  { show_file stderr "$TMP/blocked.err"; fail "no sentence saying multicast did not arrive"; }
assert_eq 2 "$(count_events "$TMP/blocked.err" ping unicast=True multicast=False)" "ping events without multicast"
dropped=$(ns_exec "$NS_B" nft list ruleset | sed -nE 's/.*counter packets ([0-9]+).*/\1/p')
((dropped >= 2)) || fail "nftables dropped $dropped multicast answers, expected at least 2"
ns_exec "$NS_B" nft delete table inet nomcast
note "multicast blocked, unicast answered: exit 6 and the sentence: ok"

# --- no responder: exit 4 and a sentence, no hang -----------------------------------------
kill_tree "$RESPONDER"
wait "$RESPONDER" 2>/dev/null || true
ping_from "$NS_B" absent --ping 10.99.30.1 -c 2 --interval 0.2
assert_eq 4 "$RC" "exit code without a responder"
grep -q 'no responder at 10.99.30.1:4321' "$TMP/absent.err" || { show_file stderr "$TMP/absent.err"; fail "no sentence naming the missing responder"; }
((SECONDS_TAKEN <= 5)) || fail "without a responder --ping -c 2 took $SECONDS_TAKEN s"
note "no responder: exit 4 in $SECONDS_TAKEN s: ok"

# --- hops: routers on the way each take one off the TTL. This kernel has no multicast
# routing (CONFIG_IP_MROUTE is off), so nftables in B plays three routers: the answers
# arrive with TTL 61 instead of 64, and --ping must count 3 hops. ----------------------
ns_nft "$NS_B" "table ip hops {
  chain pre {
    type filter hook prerouting priority -300;
    ip daddr 232.43.211.234 ip ttl set 61;
  }
}"
responder "$NS_A"
ping_from "$NS_B" routed --ping 10.99.30.1 -c 2 --interval 0.2 --json
[[ $RC == 0 ]] || { show_file stdout "$TMP/routed.out"; show_file stderr "$TMP/routed.err"; fail "--ping with 3 hops exited $RC"; }
assert_eq 2 "$(grep -Ec 'seq=[12] unicast [0-9.]+ ms multicast [0-9.]+ ms hops 3 \(ttl 61 of 64\)$' "$TMP/routed.out")" "probe lines with 3 hops"
assert_eq 2 "$(count_events "$TMP/routed.err" ping hops=3 ttl=61)" "ping events with hops 3"
note "TTL 61 of 64 on arrival: hops 3: ok"
echo PASS
