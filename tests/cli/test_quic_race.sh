#!/usr/bin/env bash
# Racing QUIC against TLS/TCP (taps-cat --protocols quic,tls) on loopback, as --json shows:
#   only a TLS server: the QUIC attempt fails at once (ICMP port unreachable) and TLS/TCP
#   wins without waiting the attempt delay; QUIC and TLS servers on the same port: QUIC,
#   started first, wins and the bytes reach the QUIC server; only a QUIC server: QUIC wins.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_cmd openssl python3
make_certs
printf 'raced\n' >"$TMP/m"

# listen STACK PORT OUT: a taps-cat -l --STACK on 127.0.0.1:PORT; sets LISTEN_PID.
listen() {
  tc -l "--$1" --cert "$CERTS/server.pem" --key "$CERTS/server.key" --json 127.0.0.1 "$2" </dev/null >"$3" \
    2>"$TMP/listen.$1.err" &
  LISTEN_PID=$!
  wait_for_listen_port "$TMP/listen.$1.err" "$LISTEN_PID" >/dev/null
}

race() {
  expect_exit 0 "$1" tc --protocols quic,tls --ca "$CERTS/ca.pem" --json 127.0.0.1 "$2" <"$TMP/m"
}

# ready_stack: the stack of the ready event of the last race.
ready_stack() { sed -n -E 's/.*"event":"ready".*"stack":"([^"]*)".*/\1/p' "$TMP/stderr"; }

port=$(free_port)
listen tls "$port" "$TMP/tls.out"
race "TLS server only" "$port"
[[ $(ready_stack) == tls/tcp ]] || { show_file stderr "$TMP/stderr"; fail "TLS server only: tls/tcp did not win"; }
grep -q '"event":"attempt_failed".*"stack":"quic"' "$TMP/stderr" || fail "no failed quic attempt"
[[ $(head -n1 "$TMP/stderr") == *'"stack":"quic"'* ]] || fail "QUIC was not started first"
wait_rc "$LISTEN_PID"
assert_same_sha256 "$TMP/m" "$TMP/tls.out" "TLS server only"
note "TLS server only: quic failed at once, tls/tcp won"

port=$(free_port)
listen tls "$port" "$TMP/tls2.out"
tls_pid=$LISTEN_PID
listen quic "$port" "$TMP/quic2.out"
race "both servers" "$port"
[[ $(ready_stack) == quic ]] || { show_file stderr "$TMP/stderr"; fail "both servers: quic did not win"; }
wait_rc "$LISTEN_PID"
assert_same_sha256 "$TMP/m" "$TMP/quic2.out" "both servers"
[[ ! -s $TMP/tls2.out ]] || fail "both servers: bytes reached the TLS server"
kill_tree "$tls_pid"
note "QUIC and TLS servers: quic won"

port=$(free_port)
listen quic "$port" "$TMP/quic3.out"
race "QUIC server only" "$port"
[[ $(ready_stack) == quic ]] || { show_file stderr "$TMP/stderr"; fail "QUIC server only: quic did not win"; }
wait_rc "$LISTEN_PID"
assert_same_sha256 "$TMP/m" "$TMP/quic3.out" "QUIC server only"
note "QUIC server only: quic won"
