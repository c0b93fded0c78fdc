#!/usr/bin/env bash
# What netcat users expect (issue 15 item 5): -z scans a port range with one line per
# port, -p picks the source port, a service name works as PORT (RFC 9622 WithService),
# --recv-only never sends and --send-only never writes to stdout.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd python3 socat ss
netns_pair ncA ncB 10.95.0.1 10.95.0.2
inA() { ip netns exec "$NS_A" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" "$@"; }
# listening_in_A PORT: wait (5 s at most) until a peer started in the background listens;
# a fixed sleep was too short for python3 on a loaded machine.
listening_in_A() {
  local i
  for ((i = 0; i < 50; i++)); do
    ip netns exec "$NS_A" ss -Hltn "sport = :$1" | grep -q . && return 0
    sleep 0.1
  done
  fail "nothing listens on port $1 in $NS_A after 5 s"
}

# --- -z over a range with one open port --------------------------------------------------
ip netns exec "$NS_A" socat TCP-LISTEN:7203,reuseaddr,fork SYSTEM:'true' </dev/null >/dev/null 2>&1 &
listening_in_A 7203
rc=0
inA -z --json 127.0.0.1 7200-7205 >"$TMP/scan.out" 2>"$TMP/scan.err" || rc=$?
assert_eq 0 "$rc" "exit code of -z with one open port"
assert_eq 6 "$(wc -l <"$TMP/scan.out")" "result lines for 6 ports"
assert_eq "127.0.0.1 7203 open" "$(sed -n 4p "$TMP/scan.out")" "the open port"
grep -q '^127.0.0.1 7200 closed: .*refused' "$TMP/scan.out" || { show_file stdout "$TMP/scan.out"; fail "closed port line"; }
assert_eq 6 "$(count_events "$TMP/scan.err" scan)" "scan events"
assert_eq 1 "$(count_events "$TMP/scan.err" scan port=7203 result=open)" "scan event of the open port"
rc=0
inA -z 127.0.0.1 7200-7202 >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "exit code of -z when nothing is open"
note "-z range: ok"

# --- -p source port, seen by the server -------------------------------------------------
ip netns exec "$NS_A" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 7210)); s.listen(1)
c, peer = s.accept(); c.sendall(str(peer[1]).encode()); c.close()' &
listening_in_A 7210
out=$(inA -p 40123 127.0.0.1 7210 </dev/null 2>"$TMP/p.err") || { show_file stderr "$TMP/p.err"; fail "-p failed"; }
assert_eq 40123 "$out" "source port the server saw"
note "-p 40123: ok"

# --- a service name as PORT, on both sides ------------------------------------------------
printf 'via git\n' >"$TMP/svc.in"
ip netns exec "$NS_A" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" -l 127.0.0.1 git --json <"$TMP/svc.in" >"$TMP/svc.l.out" 2>"$TMP/svc.l.err" &
lpid=$!
port=$(wait_for_listen_port "$TMP/svc.l.err" "$lpid")
assert_eq 9418 "$port" "port of service git"
printf 'hello git\n' | inA 127.0.0.1 git >"$TMP/svc.c.out" 2>"$TMP/svc.c.err" || { show_file stderr "$TMP/svc.c.err"; fail "connect to service git"; }
wait_rc "$lpid"
assert_file_eq $'via git\n' "$TMP/svc.c.out" "what the client got over service git"
assert_file_eq $'hello git\n' "$TMP/svc.l.out" "what the listener got"
rc=0
inA 127.0.0.1 no-such-service </dev/null 2>"$TMP/svc.err" || rc=$?
assert_eq 1 "$rc" "exit code for an unknown service"
grep -q "unknown service 'no-such-service'" "$TMP/svc.err" || { show_file stderr "$TMP/svc.err"; fail "unknown service error"; }
note "service names: ok"

# --- --recv-only and --send-only ------------------------------------------------------------
# A server that sends "from-server", ends its side, and records what it receives.
cat >"$TMP/rec.py" <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
c, _ = s.accept(); c.sendall(b"from-server"); c.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = c.recv(65536)
    if not b: break
    got += b
open(sys.argv[2], "wb").write(got)
PY
ip netns exec "$NS_A" python3 "$TMP/rec.py" 7220 "$TMP/ro.server" &
server=$!
listening_in_A 7220
printf 'must not be sent' | inA --recv-only 127.0.0.1 7220 >"$TMP/ro.out" 2>"$TMP/ro.err" || { show_file stderr "$TMP/ro.err"; fail "--recv-only failed"; }
wait "$server" || true
assert_file_eq "from-server" "$TMP/ro.out" "--recv-only stdout"
assert_eq 0 "$(stat -c %s "$TMP/ro.server")" "bytes the server got from --recv-only"
ip netns exec "$NS_A" python3 "$TMP/rec.py" 7221 "$TMP/so.server" &
server=$!
listening_in_A 7221
printf 'to-server' | inA --send-only 127.0.0.1 7221 >"$TMP/so.out" 2>"$TMP/so.err" || { show_file stderr "$TMP/so.err"; fail "--send-only failed"; }
wait "$server" || true
[[ ! -s $TMP/so.out ]] || fail "--send-only wrote to stdout"
assert_file_eq "to-server" "$TMP/so.server" "what the server got from --send-only"
note "--recv-only / --send-only: ok"
echo PASS
