#!/usr/bin/env bash
# Shell-pipeline semantics of taps-cat over TCP (DESIGN 5.1, 9 "taps-cat ends"):
#   a) stdin EOF half-closes; taps-cat keeps reading and exits 0 only once the peer has
#      closed and every byte is on stdout.
#   b) the peer closes first; taps-cat keeps sending stdin until EOF, then exits 0.
source "$(dirname "$0")/lib.sh"
need_cmd socat python3 ss

# --- a) client half-closes first ----------------------------------------------------
# The peer echoes until our FIN, waits 1 s, then sends "bye\n" and closes. -t 5: socat
# keeps the other direction open for up to 5 s after the first EOF (default 0.5 s).
start_socat_listener -t 5 TCP-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr \
  SYSTEM:'cat; sleep 1; echo bye' </dev/null >/dev/null
t0=$(now_ms)
rc=0
printf hello | tc 127.0.0.1 "$SOCAT_PORT" >"$TMP/a.out" 2>"$TMP/a.err" || rc=$?
elapsed=$(($(now_ms) - t0))
[[ $rc == 0 ]] || { show_file "taps-cat stderr" "$TMP/a.err"; fail "a) taps-cat exit $rc, expected 0"; }
assert_file_eq $'hellobye\n' "$TMP/a.out" "a) taps-cat stdout"
((elapsed >= 900)) || fail "a) taps-cat exited after ${elapsed} ms, before the peer closed (>= 1000 ms)"
wait_rc "$SOCAT_PID"
[[ $RC == 0 ]] || { show_file "socat stderr" "$TMP/socat.$SOCAT_PORT.err"; fail "a) socat exit $RC"; }
[[ ! -s $TMP/a.err ]] || { show_file "taps-cat stderr" "$TMP/a.err"; fail "a) unexpected output on stderr"; }
note "a) half-close first: ok (${elapsed} ms)"

# --- b) peer closes first -----------------------------------------------------------
# b1) socat: the peer's command prints "early\n" and exits; socat sends a FIN at once and
# keeps the socket open (-t 5) so the late bytes do not meet a closed socket (a RST would
# be a legitimate exit 3). socat's own exit code is not checked: it cannot hand "late" to
# the command that has already exited.
start_socat_listener -t 5 TCP-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr \
  SYSTEM:'echo early' </dev/null >/dev/null
t0=$(now_ms)
rc=0
(sleep 1; printf late) | tc 127.0.0.1 "$SOCAT_PORT" >"$TMP/b1.out" 2>"$TMP/b1.err" || rc=$?
elapsed=$(($(now_ms) - t0))
[[ $rc == 0 ]] || { show_file "taps-cat stderr" "$TMP/b1.err"; fail "b1) taps-cat exit $rc, expected 0"; }
assert_file_eq $'early\n' "$TMP/b1.out" "b1) taps-cat stdout"
((elapsed >= 900)) || fail "b1) taps-cat exited after ${elapsed} ms, before its stdin reached EOF (1 s)"
[[ ! -s $TMP/b1.err ]] || { show_file "taps-cat stderr" "$TMP/b1.err"; fail "b1) unexpected output on stderr"; }
note "b1) peer (socat) closes first: ok (${elapsed} ms)"

# b2) python peer: sends "early\n", shuts down its sending side, reads to EOF, records
# what it got, and only then closes. The late bytes must arrive.
python3 - "$TMP/b2.port" "$TMP/b2.server" <<'PY' 2>"$TMP/b2.peer.err" &
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
s.settimeout(15)
tmp = sys.argv[1] + ".tmp"
open(tmp, "w").write(str(s.getsockname()[1]))
os.rename(tmp, sys.argv[1])
c, _ = s.accept()
c.settimeout(15)
c.sendall(b"early\n")
c.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = c.recv(65536)
    if not d:
        break
    got += d
open(sys.argv[2], "wb").write(got)
c.close()
PY
ppid=$!
for _ in $(seq 50); do [[ -s $TMP/b2.port ]] && break; sleep 0.1; done
[[ -s $TMP/b2.port ]] || { show_file "peer stderr" "$TMP/b2.peer.err"; fail "b2) python peer did not start"; }
t0=$(now_ms)
rc=0
(sleep 1; printf late) | tc 127.0.0.1 "$(cat "$TMP/b2.port")" >"$TMP/b2.out" 2>"$TMP/b2.err" || rc=$?
elapsed=$(($(now_ms) - t0))
[[ $rc == 0 ]] || { show_file "taps-cat stderr" "$TMP/b2.err"; fail "b2) taps-cat exit $rc, expected 0"; }
assert_file_eq $'early\n' "$TMP/b2.out" "b2) taps-cat stdout"
((elapsed >= 900)) || fail "b2) taps-cat exited after ${elapsed} ms, before its stdin reached EOF (1 s)"
wait_rc "$ppid"
[[ $RC == 0 ]] || { show_file "peer stderr" "$TMP/b2.peer.err"; fail "b2) python peer exit $RC"; }
assert_file_eq late "$TMP/b2.server" "b2) bytes the peer received after it had closed its side"
[[ ! -s $TMP/b2.err ]] || { show_file "taps-cat stderr" "$TMP/b2.err"; fail "b2) unexpected output on stderr"; }
note "b2) peer (python) closes first: ok (${elapsed} ms)"

# --- c) both directions through two taps-cat: listener gets stdin EOF late ----------
# Client sends "ping" and half-closes; the listener's stdin stays open 1 s, then sends
# "pong" and closes. Both exit 0, each with the other's bytes.
fifo_from sh -c 'sleep 1; printf pong'
tc -l 127.0.0.1 0 --json >"$TMP/c.lout" 2>"$TMP/c.lerr" <"$FIFO" &
lpid=$!
port=$(wait_for_listen_port "$TMP/c.lerr" "$lpid")
rc=0
printf ping | tc 127.0.0.1 "$port" >"$TMP/c.out" 2>"$TMP/c.err" || rc=$?
[[ $rc == 0 ]] || { show_file "client stderr" "$TMP/c.err"; fail "c) client exit $rc"; }
wait_rc "$lpid"
[[ $RC == 0 ]] || { show_file "listener stderr" "$TMP/c.lerr"; fail "c) listener exit $RC"; }
assert_file_eq pong "$TMP/c.out" "c) client stdout"
assert_file_eq ping "$TMP/c.lout" "c) listener stdout"
note "c) taps-cat <-> taps-cat: ok"

echo PASS
