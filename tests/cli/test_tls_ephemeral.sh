#!/usr/bin/env bash
# `taps-cat -l --tls` without --cert (issue 15 item 4, like `ncat -l --ssl`): a fresh
# key and self-signed certificate per run, its pin on stderr (one line) and in a
# `certificate` event. A client with `--tls --pin PIN` connects and the data gets
# through both ways; a wrong pin fails naming the real one; no pin fails verification
# with a sentence that names the pin. Nothing is written to disk.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_cmd openssl python3

# serve: an ephemeral TLS listener on 127.0.0.1 (-k, stdin held open); sets PORT and PIN.
serve() {
  fifo_from sleep "$TAPS_TIMEOUT"
  (cd "$TMP/cwd" && tc -l -k --tls --json 127.0.0.1 0 <"$FIFO" >"$TMP/serve.out" 2>"$TMP/serve.err") &
  SERVE_PID=$!
  PORT=$(wait_for_listen_port "$TMP/serve.err" "$SERVE_PID")
  PIN=$(json_field "$TMP/serve.err" certificate pin)
  [[ $PIN =~ ^[0-9a-f]{64}$ ]] || { show_file stderr "$TMP/serve.err"; fail "certificate event without a pin"; }
}
mkdir "$TMP/cwd"

serve
# The one human line names the same pin, in the form --pin takes.
line=$(grep -c "^taps-cat: warning: no --cert: serving an ephemeral self-signed certificate .* clients connect with --tls --pin $PIN\$" "$TMP/serve.err" || true)
[[ $line == 1 ]] || { show_file stderr "$TMP/serve.err"; fail "no single stderr line with the pin"; }
subject=$(json_field "$TMP/serve.err" certificate subject)
[[ $subject == CN=127.0.0.1 ]] || fail "certificate subject '$subject', expected CN=127.0.0.1 (the listen address)"
note "listener: $subject, pin $PIN"

# openssl sees the same key, a P-256 self-signed certificate, valid for a day at most.
timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -showcerts </dev/null 2>/dev/null |
  openssl x509 >"$TMP/peer.pem" || fail "openssl s_client got no certificate"
real=$(openssl x509 -in "$TMP/peer.pem" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex | awk '{print $NF}')
assert_eq "$PIN" "$real" "pin printed vs the key the server presents"
openssl x509 -in "$TMP/peer.pem" -noout -text >"$TMP/peer.txt"
grep -q "NIST CURVE: P-256" "$TMP/peer.txt" || { show_file cert "$TMP/peer.txt"; fail "not a P-256 key"; }
grep -q "DNS:localhost" "$TMP/peer.txt" || fail "no subjectAltName localhost"
openssl x509 -in "$TMP/peer.pem" -noout -checkend 0 >/dev/null || fail "certificate already expired"
if openssl x509 -in "$TMP/peer.pem" -noout -checkend $((2 * 86400)) >/dev/null; then fail "certificate valid for more than a day"; fi
[[ -z $(ls -A "$TMP/cwd") ]] || fail "the listener wrote files: $(ls -A "$TMP/cwd")"

# Round trip with the pin (hex and base64), both directions.
printf 'hello over an ephemeral certificate\n' >"$TMP/m"
expect_exit 0 "--pin" tc --tls --pin "$PIN" --json 127.0.0.1 "$PORT" <"$TMP/m"
assert_json_golden taps-cat-tls-connect "$TMP/stderr"
pin64=$(printf '%s' "$PIN" | xxd -r -p | base64)
expect_exit 0 "--pin (base64), by name" tc --tls --pin "$pin64" localhost "$PORT" <"$TMP/m"
for _ in $(seq 50); do [[ $(grep -c 'hello over' "$TMP/serve.out" || true) == 2 ]] && break; sleep 0.1; done
[[ $(grep -c 'hello over' "$TMP/serve.out" || true) == 2 ]] || { show_file out "$TMP/serve.out"; fail "the listener did not receive both messages"; }
note "--pin (hex, base64): connected, data delivered"

# A wrong pin: exit 2, naming the pin the server has.
expect_exit 2 "wrong --pin" tc --tls --pin "$(printf '%064d' 0)" 127.0.0.1 "$PORT" </dev/null
assert_stderr_has "matches no pinnedServerCertificate" "wrong --pin"
assert_stderr_has "(hex $PIN)" "wrong --pin"
# No pin: the certificate is refused, in a sentence that names the pin to check.
expect_exit 2 "no --pin" tc --tls 127.0.0.1 "$PORT" </dev/null
assert_stderr_has "certificate verify failed (self-signed certificate); no trusted CA issued it; its key's pin is $PIN" "no --pin"
note "no pin: $(head -n1 "$TMP/stderr")"
kill_tree "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null || true
[[ $(count_events "$TMP/serve.err" soft_error) == 2 ]] || { show_file stderr "$TMP/serve.err"; fail "listener: expected two refused handshakes"; }
assert_json_golden taps-cat-tls-listen "$TMP/serve.err"

# Each run has a fresh key.
first=$PIN
serve
[[ $PIN != "$first" ]] || fail "two runs served the same key"
kill_tree "$SERVE_PID"
note "a fresh key per run"
echo PASS
