#!/usr/bin/env bash
# TLS interop with socat's OPENSSL addresses, 16 MiB of random bytes each way:
#   socat OPENSSL: client -> taps-cat -l --tls, taps-cat -l --tls -> socat OPENSSL: client,
#   taps-cat --tls -> socat OPENSSL-LISTEN, socat OPENSSL-LISTEN -> taps-cat --tls.
# (socat -u never reads its TLS side: the session tickets a TLS 1.3 server sends would
# stay unread and its close would reset the connection, so the socat peers here are
# bidirectional, with -t long enough for the direction that is still busy.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_cmd socat openssl python3 ss sha256sum
make_certs

SIZE=${TAPS_TLS_SIZE:-16M}
head -c "$SIZE" /dev/urandom >"$TMP/f"
BYTES=$(stat -c %s "$TMP/f")

# --- 1. socat OPENSSL: -> taps-cat -l --tls -----------------------------------------
start_tls_listener /dev/null "$TMP/l1.out" "$TMP/l1.err"
rc=0
tsocat - "OPENSSL:127.0.0.1:$TLS_LISTENER_PORT,cafile=$CERTS/ca.pem" <"$TMP/f" >/dev/null 2>"$TMP/s1.err" || rc=$?
[[ $rc == 0 ]] || { show_file "socat stderr" "$TMP/s1.err"; fail "socat -> taps-cat -l: socat exit $rc"; }
wait_rc "$TLS_LISTENER_PID"
[[ $RC == 0 ]] || { show_file "listener stderr" "$TMP/l1.err"; fail "socat -> taps-cat -l: listener exit $RC"; }
assert_same_sha256 "$TMP/f" "$TMP/l1.out" "socat OPENSSL: -> taps-cat -l --tls"
note "socat OPENSSL: -> taps-cat -l --tls: ok"

# --- 2. taps-cat -l --tls -> socat OPENSSL: ------------------------------------------
start_tls_listener "$TMP/f" /dev/null "$TMP/l2.err"
: >"$TMP/s2.out"
fifo_from wait_for_size "$TMP/s2.out" "$BYTES"
rc=0
tsocat - "OPENSSL:127.0.0.1:$TLS_LISTENER_PORT,cafile=$CERTS/ca.pem" <"$FIFO" >"$TMP/s2.out" 2>"$TMP/s2.err" || rc=$?
[[ $rc == 0 ]] || { show_file "socat stderr" "$TMP/s2.err"; fail "taps-cat -l -> socat: socat exit $rc"; }
wait_rc "$TLS_LISTENER_PID"
[[ $RC == 0 ]] || { show_file "listener stderr" "$TMP/l2.err"; fail "taps-cat -l -> socat: listener exit $RC"; }
assert_same_sha256 "$TMP/f" "$TMP/s2.out" "taps-cat -l --tls -> socat OPENSSL:"
note "taps-cat -l --tls -> socat OPENSSL:: ok"

# --- 3. taps-cat --tls -> socat OPENSSL-LISTEN ----------------------------------------
listen_opts="bind=127.0.0.1,reuseaddr,cert=$CERTS/server.pem,key=$CERTS/server.key,verify=0"
start_socat_listener -t "$TAPS_TIMEOUT" "OPENSSL-LISTEN:@PORT@,$listen_opts" - </dev/null >"$TMP/s3.out"
expect_exit 0 "taps-cat -> socat OPENSSL-LISTEN" tc --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$SOCAT_PORT" <"$TMP/f"
wait_rc "$SOCAT_PID"
[[ $RC == 0 ]] || { show_file "socat stderr" "$TMP/socat.$SOCAT_PORT.err"; fail "taps-cat -> socat: socat exit $RC"; }
assert_same_sha256 "$TMP/f" "$TMP/s3.out" "taps-cat --tls -> socat OPENSSL-LISTEN"
note "taps-cat --tls -> socat OPENSSL-LISTEN: ok"

# --- 4. socat OPENSSL-LISTEN -> taps-cat --tls ----------------------------------------
start_port_listener socat4 _with_stdin "$TMP/f" tsocat -t "$TAPS_TIMEOUT" "OPENSSL-LISTEN:@PORT@,$listen_opts" - >/dev/null
socat_pid=$LISTENER_PID
: >"$TMP/c4.out"
fifo_from wait_for_size "$TMP/c4.out" "$BYTES"
rc=0
tc --tls --ca "$CERTS/ca.pem" 127.0.0.1 "$LISTENER_PORT" <"$FIFO" >"$TMP/c4.out" 2>"$TMP/c4.err" || rc=$?
[[ $rc == 0 ]] || { show_file "taps-cat stderr" "$TMP/c4.err"; fail "socat -> taps-cat: taps-cat exit $rc"; }
wait_rc "$socat_pid"
assert_same_sha256 "$TMP/f" "$TMP/c4.out" "socat OPENSSL-LISTEN -> taps-cat --tls"
note "socat OPENSSL-LISTEN -> taps-cat --tls: ok"

echo "PASS"
