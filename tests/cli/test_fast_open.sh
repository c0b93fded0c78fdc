#!/usr/bin/env bash
# TCP Fast Open (RFC 9622 7.2 InitiateWithSend and 9.1.3.4 safelyReplayable; issue 12
# item 5): `taps-cat --fast-open` sends its first read of stdin with initiate_with_send as
# a safelyReplayable message. The first connection fetches the server's cookie; from the
# second on, the message rides in the SYN, which the kernel counts in its namespace:
# TcpExtTCPFastOpenActive (client: data in the SYN was acknowledged) and
# TCPFastOpenPassive (server: data accepted from a SYN). Without --fast-open no SYN
# carries data. In a namespace of its own with net.ipv4.tcp_fastopen=3 (client and
# server), so that the host's setting and other tests' connections do not count.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd ip sysctl

rc=0
tc --fast-open --framer lp 127.0.0.1 9 </dev/null 2>"$TMP/u.err" || rc=$?
[[ $rc == 1 ]] && grep -q -- '--fast-open' "$TMP/u.err" || { show_file stderr "$TMP/u.err"; fail "--fast-open --framer: exit $rc, expected a usage error naming --fast-open"; }

NS="taps-tfo-$$"
ip netns add "$NS" || fail "ip netns add $NS"
_CLEANUP_NETNS+=("$NS")
ip -n "$NS" link set lo up
ns_exec "$NS" sysctl -qw net.ipv4.tcp_fastopen=3 || fail "cannot set net.ipv4.tcp_fastopen in $NS"

# tcpext NAME: the namespace's TcpExt counter NAME (/proc/net/netstat: a line of names,
# then a line of values).
tcpext() {
  ns_exec "$NS" awk -v k="$1" '$1 == "TcpExt:" {
    if (!names) { for (i = 2; i <= NF; i++) n[i] = $i; names = 1 }
    else { for (i = 2; i <= NF; i++) if (n[i] == k) print $i }
  }' /proc/net/netstat
}
ntc() { ns_exec "$NS" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" "$@"; }

ntc -l -k 127.0.0.1 0 --json </dev/null >"$TMP/out" 2>"$TMP/l.err" &
lpid=$!
port=$(wait_for_listen_port "$TMP/l.err" "$lpid")

# connect LABEL ARGS...: one connection that sends "LABEL\n" and ends.
connect() {
  local label=$1
  shift
  printf '%s\n' "$label" | ntc "$@" 127.0.0.1 "$port" >/dev/null 2>"$TMP/c.err" ||
    { show_file "taps-cat stderr" "$TMP/c.err"; fail "$label: taps-cat exit $?"; }
  for _ in $(seq 50); do grep -qx "$label" "$TMP/out" && return 0; sleep 0.1; done
  show_file "listener stdout" "$TMP/out"
  fail "$label: the listener did not receive it"
}

connect cookie --fast-open
active=$(tcpext TCPFastOpenActive)
passive=$(tcpext TCPFastOpenPassive)
[[ -n $active && -n $passive ]] || fail "no TCPFastOpen counters in /proc/net/netstat"

connect in-the-syn --fast-open
assert_eq $((active + 1)) "$(tcpext TCPFastOpenActive)" "TCPFastOpenActive after a --fast-open connection with a cookie"
assert_eq $((passive + 1)) "$(tcpext TCPFastOpenPassive)" "TCPFastOpenPassive after a --fast-open connection with a cookie"
note "--fast-open with the server's cookie: the first message rode in the SYN: ok"

connect plain
assert_eq $((active + 1)) "$(tcpext TCPFastOpenActive)" "TCPFastOpenActive after a connection without --fast-open"
assert_eq $((passive + 1)) "$(tcpext TCPFastOpenPassive)" "TCPFastOpenPassive after a connection without --fast-open"
note "without --fast-open no data in the SYN: ok"

# Several reads of stdin: only the first is in the SYN, the rest follows in order.
head -c 300000 /dev/urandom >"$TMP/big"
ntc --fast-open 127.0.0.1 "$port" <"$TMP/big" >/dev/null 2>"$TMP/c.err" ||
  { show_file "taps-cat stderr" "$TMP/c.err"; fail "bulk: taps-cat exit $?"; }
assert_eq $((active + 2)) "$(tcpext TCPFastOpenActive)" "TCPFastOpenActive after a --fast-open bulk connection"
note "--fast-open with more than one read: ok"
echo PASS
