#!/usr/bin/env bash
# What is on the wire is TLS (PyTAPS once ran "TLS" in plaintext and reported success):
#   a relay between taps-cat --tls and taps-cat -l --tls records both directions: TLS
#   records only, and no slice of the payload in clear (the same relay over plain TCP does
#   see it: the check can fail); a plaintext client gets nothing from a TLS listener, which
#   goes on listening; a TLS client refuses a plaintext server and sends it no payload.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_cmd socat openssl python3 ss base64
make_certs

head -c 300000 /dev/urandom | base64 -w 76 >"$TMP/payload"  # printable: easy to spot in clear
BYTES=$(stat -c %s "$TMP/payload")

# --- 1. taps-cat --tls -> relay -> taps-cat -l --tls ---------------------------------
: >"$TMP/l1.out"
fifo_from wait_for_size "$TMP/l1.out" "$BYTES"
start_tls_listener "$FIFO" "$TMP/l1.out" "$TMP/l1.err"
start_capture_proxy "$TLS_LISTENER_PORT" "$TMP/tls"
expect_exit 0 "taps-cat --tls through the relay" \
  tc --tls --ca "$CERTS/ca.pem" --json 127.0.0.1 "$PROXY_PORT" <"$TMP/payload"
[[ $(count_events "$TMP/stderr" ready stack=tls/tcp) == 1 ]] || { show_file stderr "$TMP/stderr"; fail "no ready event with stack tls/tcp"; }
wait_rc "$TLS_LISTENER_PID"
[[ $RC == 0 ]] || { show_file "listener stderr" "$TMP/l1.err"; fail "listener exit $RC"; }
assert_same_sha256 "$TMP/payload" "$TMP/l1.out" "through the relay"
wait_rc "$PROXY_PID"
[[ $(stat -c %s "$TMP/tls.c2s") -gt $BYTES ]] || fail "the relay carried fewer bytes than the payload"
# Every byte each way is in TLS records: handshake (22) first, then application data (23).
python3 - "$TMP/tls.c2s" "$TMP/tls.s2c" <<'PY' || fail "the captured bytes are not a sequence of TLS records"
import sys
for path in sys.argv[1:]:
    data, at, types = open(path, "rb").read(), 0, []
    while at < len(data):
        assert at + 5 <= len(data) and data[at + 1] == 3, f"{path}: no TLS record header at {at}"
        types.append(data[at])
        at += 5 + int.from_bytes(data[at + 3:at + 5], "big")
    assert at == len(data) and types[0] == 22 and 23 in types, f"{path}: record types {sorted(set(types))}"
PY
found=$(plaintext_slices_in "$TMP/payload" "$TMP/tls.c2s")
[[ $found == 0 ]] || fail "$found slices of the payload are in clear on the wire"
note "taps-cat --tls: TLS records only, no plaintext on the wire"

# The same relay over plain TCP sees the payload: the check above can fail.
tc -l --json 127.0.0.1 0 </dev/null >/dev/null 2>"$TMP/l2.err" &
lpid=$!
port=$(wait_for_listen_port "$TMP/l2.err" "$lpid")
start_capture_proxy "$port" "$TMP/tcp"
expect_exit 0 "taps-cat over plain TCP through the relay" tc 127.0.0.1 "$PROXY_PORT" <"$TMP/payload"
wait_rc "$lpid"
wait_rc "$PROXY_PID"
[[ $(plaintext_slices_in "$TMP/payload" "$TMP/tcp.c2s") == 64 ]] || fail "control: plain TCP should show the payload"
note "control: over plain TCP the relay sees the payload"

# --- 2. a plaintext client against taps-cat -l --tls ---------------------------------
fifo_from sleep "$TAPS_TIMEOUT"
start_tls_listener "$FIFO" "$TMP/l3.out" "$TMP/l3.err"
rc=0
tsocat -t 2 - "TCP:127.0.0.1:$TLS_LISTENER_PORT" <"$TMP/payload" >"$TMP/plain.out" 2>/dev/null || rc=$?
for ((i = 0; i < 50; i++)); do
  [[ $(count_events "$TMP/l3.err" soft_error) == 1 ]] && break
  sleep 0.1
done
[[ $(count_events "$TMP/l3.err" soft_error) == 1 ]] || { show_file "listener stderr" "$TMP/l3.err"; fail "no soft_error"; }
[[ ! -s $TMP/l3.out ]] || fail "the TLS listener wrote what a plaintext client sent"
[[ $(plaintext_slices_in "$TMP/payload" "$TMP/plain.out") == 0 ]] || fail "the plaintext client got payload back"
kill -0 "$TLS_LISTENER_PID" 2>/dev/null || fail "the TLS listener ended after a plaintext client"
[[ $(count_events "$TMP/l3.err" connection_received) == 0 ]] || fail "a plaintext client became a connection"
note "plaintext client -> taps-cat -l --tls: refused ($(grep -m1 '^taps-cat: warning:' "$TMP/l3.err")); listener goes on"
kill_tree "$TLS_LISTENER_PID"

# --- 3. taps-cat --tls against a plaintext server --------------------------------------
start_socat_listener -t 2 "TCP-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr" SYSTEM:"echo 'HTTP/1.0 200 OK'; cat >&2" \
  </dev/null >/dev/null
expect_exit 2 "taps-cat --tls -> plaintext server" tc --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$SOCAT_PORT" <"$TMP/payload"
assert_stderr_has "TLS handshake failed" "plaintext server"
[[ ! -s $TMP/stdout ]] || fail "plaintext server: bytes on stdout"
wait_rc "$SOCAT_PID"
[[ $(plaintext_slices_in "$TMP/payload" "$TMP/socat.$SOCAT_PORT.err") == 0 ]] || fail "the payload reached a plaintext server"
note "taps-cat --tls -> plaintext server: exit 2 ($(head -n1 "$TMP/stderr")), no payload sent"

echo "PASS"
