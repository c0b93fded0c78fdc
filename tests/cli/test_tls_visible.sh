#!/usr/bin/env bash
# TLS you can see (issue 15 item 4): with --json, taps-cat reports the negotiated version,
# cipher, group, ALPN and the peer certificate (subject, issuer, validity, SPKI pin),
# checked against openssl s_server with known parameters; a wrong --pin names the pin
# the server really has; a TLS 1.2-only server gets a sentence, not an alert name.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_cmd openssl
make_certs

real_pin=$(openssl x509 -in "$CERTS/server.pem" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex | awk '{print $NF}')

printf 'hello\n' >"$TMP/s.in"
start_s_server "$TMP/s.in" "$TMP/s.out" -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 -groups X25519 -alpn taps
printf 'ping\n' | tc --tls --ca "$CERTS/ca.pem" --alpn taps --json 127.0.0.1 "$S_SERVER_PORT" >"$TMP/c.out" 2>"$TMP/c.err" ||
  { show_file stderr "$TMP/c.err"; fail "TLS client against s_server failed"; }
for check in version=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256 group=x25519 alpn=taps resumed=False \
  "peer_subject=CN=localhost" "peer_issuer=CN=taps-toolkit test CA" "peer_pin=$real_pin"; do
  assert_eq 1 "$(count_events "$TMP/c.err" tls "$check")" "tls event field $check"
done
grep -qE '"peer_not_after":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"' "$TMP/c.err" || { show_file stderr "$TMP/c.err"; fail "peer_not_after"; }
note "tls event against s_server: ok"

start_s_server - "$TMP/s2.out"
expect_exit 2 "wrong --pin" tc --tls --ca "$CERTS/ca.pem" --pin "$(printf '0%.0s' {1..64})" 127.0.0.1 "$S_SERVER_PORT" </dev/null
assert_stderr_has "its pin is" "wrong --pin"
assert_stderr_has "$real_pin" "wrong --pin"
note "wrong --pin names the real one: ok"

start_s_server - "$TMP/s3.out" -tls1_2
expect_exit 2 "TLS 1.2-only server" tc --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$S_SERVER_PORT" </dev/null
assert_stderr_has "the server offers TLS 1.2 at most; only TLS 1.3 is spoken here" "TLS 1.2-only server"
note "TLS 1.2-only server: a sentence: ok"
echo PASS
