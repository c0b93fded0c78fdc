#!/usr/bin/env bash
# QUIC (taps-cat --quic, -l --quic) on loopback, taps-cat at both ends:
#   64 MiB of random bytes each way, sha256 equal (TAPS_QUIC_SIZE to change it); --json
#   shows "stack":"quic"; an untrusted certificate, a wrong name and an ALPN mismatch
#   are refused with exit 2 and the reason on stderr, nothing on stdout; a pinned key
#   is accepted without a CA; the listener survives refused clients.
TAPS_TIMEOUT=${TAPS_TIMEOUT:-120}
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_cmd openssl python3 sha256sum
make_certs

SIZE=${TAPS_QUIC_SIZE:-64M}
head -c "$SIZE" /dev/urandom >"$TMP/f"

# serve NAME IN OUT [ARGS...]: taps-cat -l --quic presenting certificate NAME, stdin IN,
# stdout OUT; sets SERVE_PID and PORT.
serve() {
  local name=$1 in=$2 out=$3
  shift 3
  tc -l --quic --cert "$CERTS/$name.pem" --key "$CERTS/$name.key" --json "$@" 127.0.0.1 0 <"$in" >"$out" \
    2>"$TMP/serve.$name.err" &
  SERVE_PID=$!
  PORT=$(wait_for_listen_port "$TMP/serve.$name.err" "$SERVE_PID")
}

# --- 1. bulk both ways -----------------------------------------------------------------
serve server /dev/null "$TMP/up.out"
start=$(now_ms)
expect_exit 0 "upload" tc --quic --ca "$CERTS/ca.pem" --json 127.0.0.1 "$PORT" <"$TMP/f"
wait_rc "$SERVE_PID"
[[ $RC == 0 ]] || { show_file "listener stderr" "$TMP/serve.server.err"; fail "upload: listener exit $RC"; }
assert_same_sha256 "$TMP/f" "$TMP/up.out" "upload over QUIC"
grep -q '"event":"ready".*"stack":"quic"' "$TMP/stderr" || { show_file stderr "$TMP/stderr"; fail "no ready event with stack quic"; }
grep -q '"event":"tls".*"alpn":"taps"' "$TMP/stderr" || fail "the default ALPN taps was not agreed"
note "upload $SIZE: ok in $(($(now_ms) - start)) ms"

serve server "$TMP/f" /dev/null
start=$(now_ms)
expect_exit 0 "download" tc --quic --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT" </dev/null
wait_rc "$SERVE_PID"
[[ $RC == 0 ]] || { show_file "listener stderr" "$TMP/serve.server.err"; fail "download: listener exit $RC"; }
assert_same_sha256 "$TMP/f" "$TMP/stdout" "download over QUIC"
note "download $SIZE: ok in $(($(now_ms) - start)) ms"

# --- 2. verification ---------------------------------------------------------------------
printf 'secret payload\n' >"$TMP/m"
# refused WHAT REASON ARGS...: taps-cat --quic ARGS exits 2 naming REASON, prints nothing.
refused() {
  local what=$1 reason=$2
  shift 2
  expect_exit 2 "$what" tc --quic "$@"
  assert_stderr_has "$reason" "$what"
  [[ ! -s $TMP/stdout ]] || fail "$what: bytes on stdout"
  note "$what: exit 2, $(head -n1 "$TMP/stderr")"
}

fifo_from sleep "$TAPS_TIMEOUT"
tc -l -k --quic --cert "$CERTS/untrusted.pem" --key "$CERTS/untrusted.key" --json 127.0.0.1 0 <"$FIFO" \
  >"$TMP/untrusted.out" 2>"$TMP/untrusted.err" &
SERVE_PID=$!
PORT=$(wait_for_listen_port "$TMP/untrusted.err" "$SERVE_PID")
refused "untrusted certificate" "TLS handshake failed: certificate verify failed (self-signed certificate)" \
  --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT" <"$TMP/m"
untrusted_pin=$(openssl x509 -in "$CERTS/untrusted.pem" -pubkey -noout | openssl pkey -pubin -outform der |
  openssl dgst -sha256 -hex | awk '{print $NF}')
assert_stderr_has "its key's pin is $untrusted_pin" "untrusted certificate"
refused "wrong pin" "matches no pinnedServerCertificate" --pin "$(cat "$CERTS/server.spki.sha256")" 127.0.0.1 "$PORT" <"$TMP/m"
expect_exit 0 "pinned key" tc --quic --pin "$untrusted_pin" 127.0.0.1 "$PORT" <"$TMP/m"
note "--pin of the untrusted key: accepted"
refused "ALPN mismatch" "refuse our ALPN" --insecure --alpn h3 127.0.0.1 "$PORT" <"$TMP/m"
# The listener refused three clients and served one; it goes on.
kill -0 "$SERVE_PID" || fail "the listener ended after refused clients"
[[ $(count_events "$TMP/untrusted.err" connection_received) == 1 ]] || { show_file "listener" "$TMP/untrusted.err"; fail "listener: expected one connection"; }
[[ $(count_events "$TMP/untrusted.err" soft_error) -ge 3 ]] || { show_file "listener" "$TMP/untrusted.err"; fail "listener: expected a soft_error per refused client"; }
grep -q 'no application protocol agreed with ALPN' "$TMP/untrusted.err" || fail "listener: the ALPN refusal is not named"
kill_tree "$SERVE_PID"

fifo_from sleep "$TAPS_TIMEOUT"
tc -l -k --quic --cert "$CERTS/wrong-host.pem" --key "$CERTS/wrong-host.key" --json 127.0.0.1 0 <"$FIFO" \
  >/dev/null 2>"$TMP/wrong.err" &
SERVE_PID=$!
PORT=$(wait_for_listen_port "$TMP/wrong.err" "$SERVE_PID")
refused "wrong host name (address)" "certificate verify failed (IP address mismatch)" \
  --ca "$CERTS/ca.pem" 127.0.0.1 "$PORT" <"$TMP/m"
refused "wrong host name (name)" "certificate verify failed (hostname mismatch)" \
  --ca "$CERTS/ca.pem" -4 localhost "$PORT" <"$TMP/m"
expect_exit 0 "--sni names the certificate's host" tc --quic --ca "$CERTS/ca.pem" --sni wrong-host.example 127.0.0.1 "$PORT" <"$TMP/m"
note "--sni wrong-host.example: verified"
kill_tree "$SERVE_PID"
