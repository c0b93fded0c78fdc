#!/usr/bin/env bash
# Unbounded waits around TLS (issue 16 item 6): a server that accepts TCP and never
# answers the ClientHello fails the client after the handshake timeout (exit 2) instead
# of holding it for ever; a single-connection `-l --tls` is not held up by one client
# that connects and says nothing (before the fix: 10 s, the server's handshake timeout).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_cmd openssl python3
make_certs

cat >"$TMP/mute.py" <<'PY'
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(4)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
time.sleep(60)
PY

# --- client: a mute server -------------------------------------------------------------
python3 "$TMP/mute.py" >"$TMP/mute.port" &
mute=$!
for _ in $(seq 50); do [[ -s $TMP/mute.port ]] && break; sleep 0.1; done
start=$(now_ms)
TAPS_TIMEOUT=40 expect_exit 2 "TLS to a server that never answers" tc --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$(cat "$TMP/mute.port")" </dev/null
took=$(($(now_ms) - start))
assert_stderr_has "TLS handshake timed out" "TLS to a mute server"
((took < 25000)) || fail "the client gave up only after $took ms"
kill_tree "$mute"
note "mute TLS server: exit 2 after $took ms: ok"

# --- single-connection listener: a silent client does not block the next one ----------
printf 'hello over tls\n' >"$TMP/in"
start_tls_listener "$TMP/in" "$TMP/l.out" "$TMP/l.err"
python3 -c 'import socket, sys, time; c = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); time.sleep(30)' "$TLS_LISTENER_PORT" &
silent=$!
sleep 0.3
start=$(now_ms)
printf 'from the second client\n' | tc --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$TLS_LISTENER_PORT" >"$TMP/c.out" 2>"$TMP/c.err" ||
  { show_file "client stderr" "$TMP/c.err"; show_file "listener stderr" "$TMP/l.err"; fail "second client failed"; }
took=$(($(now_ms) - start))
assert_file_eq $'hello over tls\n' "$TMP/c.out" "what the listener sent to the second client"
((took < 5000)) || fail "the second client was served only after $took ms (held up by the silent one)"
wait_rc "$TLS_LISTENER_PID"
assert_eq 0 "$RC" "listener exit code"
assert_file_eq $'from the second client\n' "$TMP/l.out" "what the listener received"
kill_tree "$silent"
note "single -l --tls served the next client in $took ms while one stayed silent: ok"
echo PASS
