#!/usr/bin/env bash
# A host name with an IPv6 and an IPv4 address (the namespace's hosts file), IPv6
# blackholed: A and AAAA are asked apart, IPv6 is tried first and IPv4 wins one
# Connection Attempt Delay later.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/race_lib.sh"
need_root
need_cmd socat nft ss python3
netns_pair rdsA rdsB 10.93.0.1 10.93.0.2
ip -n "$NS_A" -6 addr add fd00:93::1/64 dev veth0 nodad
ip -n "$NS_B" -6 addr add fd00:93::2/64 dev veth0 nodad
ns_hosts "$NS_A" $'127.0.0.1 localhost\nfd00:93::2 racehost.test\n10.93.0.2 racehost.test'
serve_in "$NS_B" :: 7000 hello
ns_nft "$NS_B" $'table inet t {\n chain in {\n  type filter hook input priority 0;\n  ip6 daddr fd00:93::2 tcp dport 7000 drop\n }\n}'

check_dual() {
  local rc=0
  tc_in "$NS_A" --json racehost.test 7000 </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
  [[ $rc == 0 ]] || { show_file stderr "$TMP/err"; fail "exit $rc"; }
  assert_eq hello "$(cat "$TMP/out")" "stdout"
  assert_eq 1 "$(count_events "$TMP/err" resolve query=AAAA addresses=fd00:93::2)" "the AAAA answer"
  assert_eq 1 "$(count_events "$TMP/err" resolve query=A addresses=10.93.0.2)" "the A answer"
  assert_eq 1 "$(count_events "$TMP/err" attempt id=1 remote=[fd00:93::2]:7000)" "IPv6 first"
  assert_eq 1 "$(count_events "$TMP/err" attempt id=2 remote=10.93.0.2:7000)" "IPv4 second"
  assert_eq 2 "$(json_field "$TMP/err" ready id)" "the winner"
  local gap
  gap=$(attempt_gap_ms "$TMP/err" 1 2)
  RACE_WHY="IPv4 attempt $gap ms after IPv6, expected 250 +/- 20"
  within_ms "$gap" 230 270
}
race_with_retries 3 check_dual
note "IPv6 blackholed, IPv4 wins after the delay: ok ($RACE_WHY)"
echo PASS
