#!/usr/bin/env bash
# taps-cat --resolve (RFC 9622 7.1 Resolve): the endpoints a connect would use, as one
# JSON object, from the namespace's hosts file; nothing reaches the peer.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/race_lib.sh"
need_root
need_cmd nft python3
netns_pair resA resB 10.94.0.1 10.94.0.2
ip -n "$NS_A" -6 addr add fd00:94::1/64 dev veth0 nodad
ip -n "$NS_B" -6 addr add fd00:94::2/64 dev veth0 nodad
ns_hosts "$NS_A" $'127.0.0.1 localhost\nfd00:94::2 both.test\n10.94.0.2 both.test\n10.94.0.2 v4only.test'
ns_nft "$NS_B" $'table inet t {\n chain in {\n  type filter hook input priority 0;\n  tcp dport 7000 counter\n  udp dport 7000 counter\n }\n}'

# expect FILE PYTHON_EXPR: the JSON object in FILE as `j` makes the expression true.
expect() {
  python3 - "$@" <<'PY' || { show_file stdout "$1"; fail "unexpected --resolve output: $2"; }
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, "not one line: %r" % lines
j = json.loads(lines[0])
assert list(j) == ["localEndpoints", "remoteEndpoints"], list(j)
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

rc=0
tc_in "$NS_A" --resolve both.test 7000 >"$TMP/out" 2>"$TMP/err" || rc=$?
[[ $rc == 0 ]] || { show_file stderr "$TMP/err"; fail "--resolve both.test: exit $rc"; }
expect "$TMP/out" 'j["remoteEndpoints"] == [{"hostName": "both.test", "ipAddress": "fd00:94::2", "port": 7000}, {"hostName": "both.test", "ipAddress": "10.94.0.2", "port": 7000}]'
expect "$TMP/out" 'j["localEndpoints"] == [{"ipAddress": "fd00:94::1", "interface": "veth0"}, {"ipAddress": "10.94.0.1", "interface": "veth0"}]'
note "both.test: $(cat "$TMP/out")"

tc_in "$NS_A" --resolve -4 -p 4000 both.test 7000 >"$TMP/out" 2>"$TMP/err" || fail "--resolve -4: exit $?"
expect "$TMP/out" 'j == {"localEndpoints": [{"ipAddress": "10.94.0.1", "port": 4000, "interface": "veth0"}], "remoteEndpoints": [{"hostName": "both.test", "ipAddress": "10.94.0.2", "port": 7000}]}'

tc_in "$NS_A" --resolve -r 10.94.0.3:7001 v4only.test 7000 >"$TMP/out" 2>"$TMP/err" || fail "--resolve -r: exit $?"
expect "$TMP/out" '[e["ipAddress"] for e in j["remoteEndpoints"]] == ["10.94.0.2", "10.94.0.3"]'

rc=0
tc_in "$NS_A" --resolve missing.test 7000 >"$TMP/out" 2>"$TMP/err" || rc=$?
assert_eq 2 "$rc" "exit code for a name that does not resolve"
[[ ! -s $TMP/out ]] || fail "output for a name that does not resolve: $(cat "$TMP/out")"
grep -q 'cannot resolve missing.test' "$TMP/err" || { show_file stderr "$TMP/err"; fail "no reason on stderr"; }

# Nothing of all this reached the peer.
ip netns exec "$NS_B" nft list ruleset >"$TMP/nft"
[[ $(grep -c 'counter packets 0 ' "$TMP/nft") == 2 ]] || { show_file nft "$TMP/nft"; fail "--resolve sent packets to the peer"; }
echo PASS
