#!/usr/bin/env bash
# ambi-verify with a stdout nobody reads (issue 16 item 4): SIGTERM ends it within the
# grace time (exit 143) instead of never; before, finish() waited for stdout to drain
# and the signal handler was gone.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
source "$(dirname "$0")/ambi_lib.sh"
ambi_setup stb 10.99.81.1 10.99.81.2
group=232.77.11.1
port=5019
head -c 8000000 /dev/urandom >"$TMP/data.bin"

ip netns exec "$NS_A" timeout -k 3 90 "$AMBI_SEND" --originate -s "$AMBI_S" -g "$group" -p "$port" \
  --listen "$AMBI_S:4433" --cert "$CERTS/server.pem" --key "$CERTS/server.key" --metadata-out "$TMP/stream.json" \
  --packet-size 1200 --rate 20000 --wait-verifiers 1 <"$TMP/data.bin" 2>"$TMP/send.err" &
wait_for_file "$TMP/stream.json" || { show_file "sender" "$TMP/send.err"; fail "no metadata"; }
mkfifo "$TMP/out.pipe"
sleep 120 <"$TMP/out.pipe" &
ip netns exec "$NS_B" "$AMBI_VERIFY" --metadata "$TMP/stream.json" --ca "$CERTS/ca.pem" >"$TMP/out.pipe" 2>"$TMP/verify.err" &
verifier=$!
# Until stdout is full: the pipe holds 1 MiB at most, and 8 MB are on their way.
sleep 4
kill -0 "$verifier" 2>/dev/null || { show_file verifier "$TMP/verify.err"; fail "ambi-verify ended early"; }
start=$(now_ms)
kill -TERM "$verifier"
wait_rc "$verifier"
took=$(($(now_ms) - start))
assert_eq 143 "$RC" "ambi-verify exit code after SIGTERM with stdout blocked"
((took < 6000)) || fail "SIGTERM took $took ms"
note "ambi-verify, stdout blocked: SIGTERM ends it in $took ms: ok"
echo PASS
