#!/usr/bin/env bash
# TLS 1.3 interop with OpenSSL's own tools on loopback:
#   taps-cat --tls -> openssl s_server -tls1_3, and openssl s_client -tls1_3 <-> taps-cat -l --tls:
#   16 MiB of random bytes, sha256 equal, both ways; mutual TLS both ways; a TLS 1.2
#   only peer and an ALPN mismatch are refused (exit 2, the reason on stderr).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_cmd openssl python3 ss sha256sum
make_certs

SIZE=${TAPS_TLS_SIZE:-16M}
head -c "$SIZE" /dev/urandom >"$TMP/f"
BYTES=$(stat -c %s "$TMP/f")

# --- 1. taps-cat --tls -> s_server, by address and by name -------------------------
start_s_server - "$TMP/s1.out" -tls1_3
expect_exit 0 "taps-cat -> s_server" tc --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$S_SERVER_PORT" <"$TMP/f"
wait_rc "$S_SERVER_PID"
[[ $RC == 0 ]] || fail "s_server exit $RC"
assert_same_sha256 "$TMP/f" "$TMP/s1.out" "taps-cat -> s_server"
note "taps-cat --tls -> s_server: ok"

# The name localhost is verified as well as the address (s_server as a bulk sender is not
# reliable: it may end after its first 16 KiB read of stdin, so downloads use s_client below).
start_s_server - "$TMP/s2.out" -tls1_3
expect_exit 0 "taps-cat -> s_server by name" tc --tls --ca "$CERTS/ca.pem" localhost "$S_SERVER_PORT" <"$TMP/f"
wait_rc "$S_SERVER_PID"
assert_same_sha256 "$TMP/f" "$TMP/s2.out" "taps-cat -> s_server by name"
note "taps-cat --tls localhost -> s_server: ok"

# --- 2. s_client -> taps-cat -l --tls, then taps-cat -l --tls -> s_client -------------
: >"$TMP/l3.out"
fifo_from wait_for_size "$TMP/l3.out" "$BYTES"
start_tls_listener "$FIFO" "$TMP/l3.out" "$TMP/l3.err"
rc=0
s_client -tls1_3 -connect "127.0.0.1:$TLS_LISTENER_PORT" <"$TMP/f" >/dev/null 2>"$TMP/sc3.err" || rc=$?
[[ $rc == 0 ]] || { show_file "s_client stderr" "$TMP/sc3.err"; fail "s_client -> taps-cat -l: s_client exit $rc"; }
wait_rc "$TLS_LISTENER_PID"
[[ $RC == 0 ]] || { show_file "listener stderr" "$TMP/l3.err"; fail "s_client -> taps-cat -l: listener exit $RC"; }
assert_same_sha256 "$TMP/f" "$TMP/l3.out" "s_client -> taps-cat -l"
[[ $(count_events "$TMP/l3.err" connection_received) == 1 ]] || fail "expected one connection_received"
note "s_client -> taps-cat -l --tls: ok"

start_tls_listener "$TMP/f" /dev/null "$TMP/l4.err"
rc=0
s_client -tls1_3 -connect "127.0.0.1:$TLS_LISTENER_PORT" </dev/null >"$TMP/sc4.out" 2>"$TMP/sc4.err" || rc=$?
[[ $rc == 0 ]] || { show_file "s_client stderr" "$TMP/sc4.err"; fail "taps-cat -l -> s_client: s_client exit $rc"; }
wait_rc "$TLS_LISTENER_PID"
[[ $RC == 0 ]] || { show_file "listener stderr" "$TMP/l4.err"; fail "taps-cat -l -> s_client: listener exit $RC"; }
assert_same_sha256 "$TMP/f" "$TMP/sc4.out" "taps-cat -l -> s_client"
note "taps-cat -l --tls -> s_client: ok"

# --- 3. mutual TLS both ways ------------------------------------------------------------
printf 'client certificate shown\n' >"$TMP/m"
start_s_server - "$TMP/m5.out" -tls1_3 -Verify 1 -verify_return_error -CAfile "$CERTS/ca.pem"
expect_exit 0 "taps-cat --cert -> s_server -Verify" \
  tc --tls --ca "$CERTS/ca.pem" --cert "$CERTS/client.pem" --key "$CERTS/client.key" 127.0.0.1 "$S_SERVER_PORT" <"$TMP/m"
wait_rc "$S_SERVER_PID"
assert_same_sha256 "$TMP/m" "$TMP/m5.out" "mutual TLS to s_server"
grep -q "taps-toolkit test client" "$TMP/s_server.$S_SERVER_PORT.err" ||
  { show_file "s_server stderr" "$TMP/s_server.$S_SERVER_PORT.err"; fail "s_server did not verify our client certificate"; }
note "mutual TLS, taps-cat client -> s_server -Verify: ok"

# Without a certificate the server refuses us. TLS 1.3 clients finish their handshake
# before the server checks: the refusal comes as an alert on the open connection (exit 3).
start_s_server - /dev/null -tls1_3 -Verify 1 -verify_return_error -CAfile "$CERTS/ca.pem"
expect_exit 3 "taps-cat without a certificate -> s_server -Verify" tc --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$S_SERVER_PORT" <"$TMP/m"
assert_stderr_has "certificate required" "no client certificate"
note "mutual TLS without a client certificate: refused"

: >"$TMP/l6.out"
fifo_from wait_for_size "$TMP/l6.out" "$(stat -c %s "$TMP/m")"
start_tls_listener "$FIFO" "$TMP/l6.out" "$TMP/l6.err" --ca "$CERTS/ca.pem"
# First a client without a certificate: refused, and the listener goes on.
s_client -tls1_3 -connect "127.0.0.1:$TLS_LISTENER_PORT" <"$TMP/m" >/dev/null 2>"$TMP/sc6a.err" || true
grep -q '"event":"soft_error"' "$TMP/l6.err" || { show_file "listener stderr" "$TMP/l6.err"; fail "no soft_error for a client without a certificate"; }
[[ ! -s $TMP/l6.out ]] || fail "a client without a certificate got its bytes through"
rc=0
s_client -tls1_3 -cert "$CERTS/client.pem" -key "$CERTS/client.key" -connect "127.0.0.1:$TLS_LISTENER_PORT" \
  <"$TMP/m" >/dev/null 2>"$TMP/sc6.err" || rc=$?
[[ $rc == 0 ]] || { show_file "s_client stderr" "$TMP/sc6.err"; fail "s_client -cert -> taps-cat -l --ca: exit $rc"; }
wait_rc "$TLS_LISTENER_PID"
[[ $RC == 0 ]] || { show_file "listener stderr" "$TMP/l6.err"; fail "mutual TLS listener exit $RC"; }
assert_same_sha256 "$TMP/m" "$TMP/l6.out" "mutual TLS from s_client"
note "mutual TLS, s_client -cert -> taps-cat -l --ca: ok (and one without a certificate refused)"

# --- 4. refusals: TLS 1.2 only, ALPN mismatch --------------------------------------------
start_s_server - /dev/null -tls1_2
expect_exit 2 "taps-cat -> TLS 1.2-only s_server" tc --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$S_SERVER_PORT" </dev/null
assert_stderr_has "TLS handshake failed" "TLS 1.2-only server"
assert_stderr_has "the server offers TLS 1.2 at most; only TLS 1.3 is spoken here" "TLS 1.2-only server"
[[ ! -s $TMP/stdout ]] || fail "TLS 1.2-only server: bytes on stdout"
kill_tree "$S_SERVER_PID"
note "TLS 1.2-only s_server: refused ($(head -n1 "$TMP/stderr"))"

start_tls_listener /dev/null /dev/null "$TMP/l7.err"
rc=0
s_client -tls1_2 -connect "127.0.0.1:$TLS_LISTENER_PORT" </dev/null >/dev/null 2>"$TMP/sc7.err" || rc=$?
[[ $rc != 0 ]] || fail "s_client -tls1_2 was accepted by taps-cat -l --tls"
grep -q "protocol version" "$TMP/sc7.err" || { show_file "s_client stderr" "$TMP/sc7.err"; fail "s_client -tls1_2: no protocol version alert"; }
kill_tree "$TLS_LISTENER_PID"
note "s_client -tls1_2 -> taps-cat -l --tls: refused"

start_s_server - /dev/null -tls1_3 -alpn taps
expect_exit 2 "ALPN mismatch" tc --tls --ca "$CERTS/ca.pem" --alpn h2,http/1.1 127.0.0.1 "$S_SERVER_PORT" </dev/null
assert_stderr_has "no application protocol" "ALPN mismatch"
kill_tree "$S_SERVER_PID"
start_s_server - "$TMP/a.out" -tls1_3 -alpn taps
expect_exit 0 "ALPN agreed" tc --tls --ca "$CERTS/ca.pem" --alpn h2,taps 127.0.0.1 "$S_SERVER_PORT" <"$TMP/m"
wait_rc "$S_SERVER_PID"
assert_same_sha256 "$TMP/m" "$TMP/a.out" "ALPN agreed"
note "ALPN: mismatch refused, agreement connects"

echo "PASS"
