#!/usr/bin/env bash
# Certificate and name verification of taps-cat --tls (on by default):
#   untrusted certificate, wrong host name, the system store (which does not know the test
#   CA) -> exit 2 with the reason on stderr and nothing on stdout; --sni chooses the name;
#   --insecure connects and warns on one line; --pin accepts only the pinned key; bad
#   files and --key without --cert -> exit 1 (a listener without --cert makes an
#   ephemeral certificate: test_tls_ephemeral.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_cmd openssl python3 ss
make_certs

printf 'secret payload\n' >"$TMP/m"

# serve NAME: a taps-cat -l --tls echoing nothing, presenting certificate NAME; sets PORT.
serve() {
  fifo_from sleep "$TAPS_TIMEOUT"
  tc -l -k --tls --cert "$CERTS/$1.pem" --key "$CERTS/$1.key" --json 127.0.0.1 0 <"$FIFO" >"$TMP/serve.$1.out" 2>"$TMP/serve.$1.err" &
  SERVE_PID=$!
  PORT=$(wait_for_listen_port "$TMP/serve.$1.err" "$SERVE_PID")
}

# refused WHAT REASON ARGS...: taps-cat --tls ARGS exits 2 naming REASON, prints nothing.
refused() {
  local what=$1 reason=$2
  shift 2
  expect_exit 2 "$what" tc --tls "$@"
  assert_stderr_has "TLS handshake failed" "$what"
  assert_stderr_has "$reason" "$what"
  [[ ! -s $TMP/stdout ]] || fail "$what: bytes on stdout"
  note "$what: exit 2, $(head -n1 "$TMP/stderr")"
}

serve untrusted
refused "untrusted certificate" "certificate verify failed (self-signed certificate)" \
  --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT" <"$TMP/m"
untrusted_pin=$(openssl x509 -in "$CERTS/untrusted.pem" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex | awk '{print $NF}')
assert_stderr_has "its key's pin is $untrusted_pin" "untrusted certificate"
expect_exit 0 "--insecure" tc --tls --insecure 127.0.0.1 "$PORT" </dev/null
[[ $(grep -c '^taps-cat: warning:' "$TMP/stderr") == 1 ]] || { show_file stderr "$TMP/stderr"; fail "--insecure: no one-line warning"; }
assert_stderr_has "NOT verified" "--insecure"
note "--insecure: connects, warns: $(head -n1 "$TMP/stderr")"
# The listener was refused by one client and served the other: it went on.
[[ $(count_events "$TMP/serve.untrusted.err" soft_error) == 1 ]] || fail "listener: expected one soft_error"
[[ $(count_events "$TMP/serve.untrusted.err" connection_received) == 1 ]] || fail "listener: expected one connection"
kill_tree "$SERVE_PID"

serve wrong-host
refused "wrong host name (address)" "certificate verify failed (IP address mismatch)" \
  --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT" <"$TMP/m"
refused "wrong host name (name)" "certificate verify failed (hostname mismatch)" \
  --ca "$CERTS/ca.pem" localhost "$PORT" <"$TMP/m"
expect_exit 0 "--sni names the certificate's host" tc --tls --ca "$CERTS/ca.pem" --sni wrong-host.example 127.0.0.1 "$PORT" </dev/null
note "--sni wrong-host.example: verified"
kill_tree "$SERVE_PID"

serve server
refused "test CA unknown to the system store" "unable to get local issuer certificate" 127.0.0.1 "$PORT" <"$TMP/m"
pin=$(cat "$CERTS/server.spki.sha256")
pin64=$(printf '%s' "$pin" | xxd -r -p | base64)
expect_exit 0 "--pin (hex)" tc --tls --ca "$CERTS/ca.pem" --pin "$pin" 127.0.0.1 "$PORT" </dev/null
expect_exit 0 "--pin (base64) with --insecure" tc --tls --insecure --pin "$pin64" localhost "$PORT" </dev/null
refused "another key pinned" "pinnedServerCertificate" --ca "$CERTS/ca.pem" --pin "$(printf '%064d' 0)" 127.0.0.1 "$PORT" </dev/null
refused "another key pinned, --insecure" "pinnedServerCertificate" --insecure --pin "$(printf '%064d' 0)" 127.0.0.1 "$PORT" </dev/null
note "--pin: the server's key accepted (hex and base64), another refused even with --insecure"
kill_tree "$SERVE_PID"

# Configuration errors: exit 1 before any connection.
expect_exit 1 "missing --ca file" tc --tls --ca "$TMP/nonexistent.pem" 127.0.0.1 9
assert_stderr_has "$TMP/nonexistent.pem" "missing --ca file"
expect_exit 1 "-l --tls --key without --cert" tc -l --tls --key "$CERTS/server.key" 127.0.0.1 0
assert_stderr_has "--key needs --cert" "-l --tls --key without --cert"
expect_exit 1 "key of another certificate" tc -l --tls --cert "$CERTS/server.pem" --key "$CERTS/client.key" 127.0.0.1 0
assert_stderr_has "is not the key of" "key of another certificate"
expect_exit 1 "--tls with --udp" tc --tls --udp 127.0.0.1 9
note "configuration errors: exit 1"

echo "PASS"
