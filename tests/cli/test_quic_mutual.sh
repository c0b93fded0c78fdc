#!/usr/bin/env bash
# Certificates over QUIC beyond cli.quic (which has the untrusted server, the wrong pin, the
# wrong name and the ALPN mismatch), with the meaning and the words of TLS/TCP:
#   mutual TLS: `taps-cat -l --quic --ca CA` requires a client certificate issued by CA; a
#   client with --cert/--key gets through and the listener sees its subject; a client without
#   a certificate, and one with a self-signed certificate, are refused (exit 3 as for TLS/TCP:
#   a TLS 1.3 client finishes its handshake before the server checks), nothing reaches the
#   listener's stdout, the listener names the reason and goes on;
#   a pin overrides the CA: a server whose certificate the CA issued is refused when its key is
#   not the pinned one.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_cmd openssl python3 sha256sum
make_certs
printf 'shown with a client certificate\n' >"$TMP/m"

: >"$TMP/l.out"
fifo_from wait_for_size "$TMP/l.out" "$(stat -c %s "$TMP/m")"
tc -l --quic --cert "$CERTS/server.pem" --key "$CERTS/server.key" --ca "$CERTS/ca.pem" --json 127.0.0.1 0 \
  <"$FIFO" >"$TMP/l.out" 2>"$TMP/l.err" &
LISTEN_PID=$!
PORT=$(wait_for_listen_port "$TMP/l.err" "$LISTEN_PID")

# refused WHAT LISTENER_REASON ARGS...: a client with ARGS is refused: exit 3, nothing reaches
# the listener, which reports LISTENER_REASON in one more soft_error.
soft_errors=0
refused() {
  local what=$1 reason=$2
  shift 2
  expect_exit 3 "$what" tc --quic --ca "$CERTS/ca.pem" "$@" 127.0.0.1 "$PORT" <"$TMP/m"
  soft_errors=$((soft_errors + 1))
  wait_for_event "$TMP/l.err" soft_error "$soft_errors" "$LISTEN_PID"
  grep -qF "TLS handshake failed: $reason" "$TMP/l.err" || { show_file "listener" "$TMP/l.err"; fail "$what: the listener does not say '$reason'"; }
  [[ ! -s $TMP/l.out ]] || fail "$what: bytes reached the listener"
  note "$what: refused, the listener says '$reason'"
}
refused "no client certificate" "peer did not return a certificate"
refused "self-signed client certificate" "certificate verify failed (self-signed certificate)" \
  --cert "$CERTS/untrusted.pem" --key "$CERTS/untrusted.key"
grep -q "pinnedServerCertificate" "$TMP/l.err" && fail "the listener tells how to pin a client's key"

expect_exit 0 "client certificate issued by the CA" \
  tc --quic --ca "$CERTS/ca.pem" --cert "$CERTS/client.pem" --key "$CERTS/client.key" --json 127.0.0.1 "$PORT" <"$TMP/m"
wait_for_size "$TMP/l.out" "$(stat -c %s "$TMP/m")" || fail "mutual TLS: the bytes did not reach the listener"
wait_rc "$LISTEN_PID"
[[ $RC == 0 ]] || { show_file "listener" "$TMP/l.err"; fail "mutual TLS: listener exit $RC"; }
assert_same_sha256 "$TMP/m" "$TMP/l.out" "mutual TLS"
assert_eq 1 "$(count_events "$TMP/l.err" connection_received stack=quic)" "connections the listener took"
assert_eq "CN=taps-toolkit test client" "$(json_field "$TMP/l.err" tls peer_subject)" "the client the listener saw"
assert_eq "CN=taps-toolkit test CA" "$(json_field "$TMP/l.err" tls peer_issuer)" "its issuer"
note "client certificate issued by the CA: accepted, the listener saw its subject"

# --- a pin overrides the CA ---------------------------------------------------------------
fifo_from sleep "$TAPS_TIMEOUT"
tc -l -k --quic --cert "$CERTS/server.pem" --key "$CERTS/server.key" --json 127.0.0.1 0 <"$FIFO" \
  >/dev/null 2>"$TMP/p.err" &
LISTEN_PID=$!
PORT=$(wait_for_listen_port "$TMP/p.err" "$LISTEN_PID")
untrusted_pin=$(openssl x509 -in "$CERTS/untrusted.pem" -pubkey -noout | openssl pkey -pubin -outform der |
  openssl dgst -sha256 -hex | awk '{print $NF}')
expect_exit 2 "a trusted server whose key is not the pinned one" \
  tc --quic --ca "$CERTS/ca.pem" --pin "$untrusted_pin" 127.0.0.1 "$PORT" <"$TMP/m"
assert_stderr_has "matches no pinnedServerCertificate" "pin over CA"
[[ ! -s $TMP/stdout ]] || fail "pin over CA: bytes on stdout"
expect_exit 0 "its own pin with the CA" \
  tc --quic --ca "$CERTS/ca.pem" --pin "$(cat "$CERTS/server.spki.sha256")" 127.0.0.1 "$PORT" <"$TMP/m"
note "a CA-issued server whose key is not pinned: refused; with its pin: accepted"
kill_tree "$LISTEN_PID"
echo PASS
