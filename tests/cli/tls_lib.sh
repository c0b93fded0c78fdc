# shellcheck shell=bash
# Helpers for the TLS tests (tests/cli/test_tls_*.sh), sourced after lib.sh:
#
#   source "$(dirname "$0")/lib.sh"
#   source "$(dirname "$0")/tls_lib.sh"
#
# make_certs puts the material of scripts/gen-certs in $CERTS (inside $TMP, removed with it).

# make_certs [NAME|ADDRESS...]: CA, server, client, untrusted and wrong-host certificates.
make_certs() {
  CERTS="$TMP/certs"
  "$TAPS_SOURCE_DIR/scripts/gen-certs" "$CERTS" "$@" >/dev/null 2>"$TMP/gen-certs.err" ||
    { show_file "gen-certs stderr" "$TMP/gen-certs.err"; fail "scripts/gen-certs failed"; }
}

# wait_for_size FILE BYTES: returns once FILE holds BYTES bytes (at most TAPS_TIMEOUT s).
# As the writer of a FIFO it keeps a peer's stdin open until its output is complete:
#   fifo_from wait_for_size "$TMP/out" 16777216; tc ... <"$FIFO" >"$TMP/out"
wait_for_size() {
  local file=$1 bytes=$2 i
  for ((i = 0; i < TAPS_TIMEOUT * 20; i++)); do
    [[ $(stat -c %s "$file" 2>/dev/null || echo 0) -ge $bytes ]] && return 0
    sleep 0.05
  done
  return 1
}

# _with_stdin FILE CMD...: CMD reading FILE. A background job of a script gets /dev/null
# as stdin unless its own command line redirects it.
_with_stdin() {
  local in=$1
  shift
  "$@" <"$in"
}

# start_s_server IN OUT ARGS...: `openssl s_server -quiet -naccept 1 ARGS` on a free port of
# 127.0.0.1, with the server certificate unless ARGS name another. IN is its stdin (what it
# sends); "-" keeps stdin open without sending (s_server ends the connection at stdin EOF).
# Sets S_SERVER_PID and S_SERVER_PORT; its stderr is $TMP/s_server.<port>.err.
# shellcheck disable=SC2034 # S_SERVER_PID and S_SERVER_PORT are for the caller
start_s_server() {
  local in=$1 out=$2
  shift 2
  local cert=(-cert "$CERTS/server.pem" -key "$CERTS/server.key")
  [[ " $* " == *" -cert "* ]] && cert=()
  if [[ $in == - ]]; then
    fifo_from sleep "$TAPS_TIMEOUT"
    in=$FIFO
  fi
  start_port_listener s_server _with_stdin "$in" timeout -k 3 "$TAPS_TIMEOUT" openssl s_server \
    -accept 127.0.0.1:@PORT@ -quiet -naccept 1 "${cert[@]}" "$@" >"$out"
  S_SERVER_PID=$LISTENER_PID
  S_SERVER_PORT=$LISTENER_PORT
}

# s_client ARGS...: `openssl s_client -quiet` toward 127.0.0.1 trusting the test CA, under
# the timeout (-ign_eof: it leaves closing to the server).
s_client() {
  timeout -k 3 "$TAPS_TIMEOUT" openssl s_client -quiet -ign_eof -CAfile "$CERTS/ca.pem" "$@"
}

# start_tls_listener IN OUT ERR ARGS...: `taps-cat -l --tls` with the server certificate on a
# free port of 127.0.0.1, stdin from IN, --json on ERR. Sets TLS_LISTENER_PID and
# TLS_LISTENER_PORT.
# shellcheck disable=SC2034 # TLS_LISTENER_PID and TLS_LISTENER_PORT are for the caller
start_tls_listener() {
  local in=$1 out=$2 err=$3
  shift 3
  tc -l --tls --cert "$CERTS/server.pem" --key "$CERTS/server.key" --json "$@" 127.0.0.1 0 <"$in" >"$out" 2>"$err" &
  TLS_LISTENER_PID=$!
  TLS_LISTENER_PORT=$(wait_for_listen_port "$err" "$TLS_LISTENER_PID")
}

# expect_exit CODE WHAT CMD...: run CMD (stdout to $TMP/stdout, stderr to $TMP/stderr) and
# fail unless it exits with CODE.
expect_exit() {
  local code=$1 what=$2 rc=0
  shift 2
  "$@" >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
  if [[ $rc != "$code" ]]; then
    show_file "stderr" "$TMP/stderr"
    fail "$what: exit $rc, expected $code"
  fi
}

# assert_stderr_has TEXT WHAT: $TMP/stderr (of the last expect_exit) contains TEXT.
assert_stderr_has() {
  grep -qF -- "$1" "$TMP/stderr" || { show_file "stderr" "$TMP/stderr"; fail "$2: stderr lacks '$1'"; }
}

# start_capture_proxy TARGET_PORT PREFIX: a python3 relay on a free port of 127.0.0.1 that
# forwards one connection to 127.0.0.1:TARGET_PORT and records what it carries: client to
# server in PREFIX.c2s, server to client in PREFIX.s2c. Sets PROXY_PID and PROXY_PORT.
# shellcheck disable=SC2034 # PROXY_PID and PROXY_PORT are for the caller
start_capture_proxy() {
  start_port_listener proxy python3 -c '
import socket, sys, threading
listen_port, target, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port))
server.listen(1)
client, _ = server.accept()
upstream = socket.create_connection(("127.0.0.1", target))
def relay(src, dst, path):
    with open(path, "wb") as log:
        while True:
            data = src.recv(65536)
            if not data:
                break
            log.write(data)
            dst.sendall(data)
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
threads = [threading.Thread(target=relay, args=(client, upstream, prefix + ".c2s")),
           threading.Thread(target=relay, args=(upstream, client, prefix + ".s2c"))]
for t in threads:
    t.start()
for t in threads:
    t.join()
' @PORT@ "$1" "$2" </dev/null >/dev/null
  PROXY_PID=$LISTENER_PID
  PROXY_PORT=$LISTENER_PORT
}

# plaintext_slices_in PAYLOAD CAPTURE: how many of 64 slices (32 bytes each, spread over
# PAYLOAD) appear verbatim in CAPTURE.
plaintext_slices_in() {
  python3 - "$1" "$2" <<'PY'
import sys
payload, capture = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
step = max(1, (len(payload) - 32) // 64)
print(sum(1 for i in range(64) if payload[i * step:i * step + 32] in capture))
PY
}
