#!/usr/bin/env bash
# QUIC interop with ngtcp2's own HTTP/3 examples (Debian ngtcp2-server, ngtcp2-client),
# the HTTP/3 bytes written by hand (tests/cli/h3.py: RFC 9114 frames, QPACK static table):
#   taps-cat --quic --alpn h3 fetches a 3 MB file from gtlsserver, byte-exact;
#   gtlsclient downloads a 3 MB file from `taps-cat -l -k --quic --alpn h3 -e CMD`, one
#   CMD per stream the client opens (its control and QPACK streams too), byte-exact.
TAPS_TIMEOUT=${TAPS_TIMEOUT:-60}
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_cmd gtlsserver gtlsclient python3 sha256sum openssl
make_certs
H3="$CLI_LIB_DIR/h3.py"
mkdir -p "$TMP/www" "$TMP/dl"
head -c 3M /dev/urandom >"$TMP/www/f.bin"

# --- 1. taps-cat -> gtlsserver -------------------------------------------------------------
port=$(free_port)
timeout -k 3 "$TAPS_TIMEOUT" gtlsserver -q -d "$TMP/www" 127.0.0.1 "$port" "$CERTS/server.key" "$CERTS/server.pem" \
  >/dev/null 2>"$TMP/gtlsserver.err" &
for _ in $(seq 50); do ss -Hlun "sport = :$port" | grep -q . && break; sleep 0.1; done
"$H3" request "127.0.0.1:$port" /f.bin >"$TMP/request"
expect_exit 0 "taps-cat --quic -> gtlsserver" tc --quic --alpn h3 --ca "$CERTS/ca.pem" --json 127.0.0.1 "$port" <"$TMP/request"
grep -q '"alpn":"h3"' "$TMP/stderr" || fail "h3 was not agreed"
"$H3" body <"$TMP/stdout" >"$TMP/body" || fail "gtlsserver did not answer 200"
assert_same_sha256 "$TMP/www/f.bin" "$TMP/body" "file fetched from gtlsserver"
note "taps-cat --quic --alpn h3 -> gtlsserver: 200, 3 MiB byte-exact"

# --- 2. gtlsclient -> taps-cat -l -k --quic -e ---------------------------------------------
tc -l -k --quic --alpn h3 --cert "$CERTS/server.pem" --key "$CERTS/server.key" --json \
  -e "$H3 serve $TMP/www/f.bin" 127.0.0.1 0 </dev/null >/dev/null 2>"$TMP/listener.err" &
LISTENER_PID=$!
port=$(wait_for_listen_port "$TMP/listener.err" "$LISTENER_PID")
rc=0
timeout -k 3 "$TAPS_TIMEOUT" gtlsclient -q --exit-on-first-stream-close --download "$TMP/dl" 127.0.0.1 "$port" \
  "https://127.0.0.1:$port/f.bin" >/dev/null 2>"$TMP/gtlsclient.err" || rc=$?
[[ $rc == 0 ]] || { show_file "gtlsclient stderr" "$TMP/gtlsclient.err"; show_file "listener" "$TMP/listener.err"; fail "gtlsclient exit $rc"; }
assert_same_sha256 "$TMP/www/f.bin" "$TMP/dl/f.bin" "file gtlsclient downloaded from taps-cat"
# The request stream and the client's unidirectional streams: one Connection each.
n=$(count_events "$TMP/listener.err" connection_received)
((n >= 2)) || { show_file "listener" "$TMP/listener.err"; fail "expected a connection_received per stream, got $n"; }
note "gtlsclient -> taps-cat -l -k --quic --alpn h3 -e: 3 MiB byte-exact, $n streams received"
kill_tree "$LISTENER_PID"
