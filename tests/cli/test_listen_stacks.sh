#!/usr/bin/env bash
# A Listener serves every stack its properties allow (issue 12 item 2), and the
# `listening` events name each one:
# - `-l --protocols tcp,udp`: TCP and UDP on one port number; a TCP client (socat) and a
#   UDP client (socat) both reach it;
# - `-l --protocols tls,tcp` (opportunistic security): tls/tcp and plain tcp share one
#   TCP port, told apart by the client's first byte: openssl s_client and our own
#   `--protocols tls,tcp` client get TLS, socat gets plain TCP, and a plain client that
#   waits for the server to speak first gets plain TCP after the grace period.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_cmd socat openssl python3

# --- TCP and UDP side by side ------------------------------------------------------
fifo_from sleep "$TAPS_TIMEOUT"
tc -l -k --json --protocols tcp,udp 127.0.0.1 0 <"$FIFO" >"$TMP/both.out" 2>"$TMP/both.err" &
pid=$!
port=$(wait_for_listen_port "$TMP/both.err" "$pid")
wait_for_event "$TMP/both.err" listening 2 "$pid"
assert_eq 1 "$(count_events "$TMP/both.err" listening stack=tcp local="127.0.0.1:$port")" "tcp listening on $port"
assert_eq 1 "$(count_events "$TMP/both.err" listening stack=udp local="127.0.0.1:$port")" "udp listening on $port"
printf 'over tcp\n' | tsocat -t 1 - "TCP:127.0.0.1:$port" || fail "socat over TCP"
printf 'over udp\n' | tsocat -t 1 - "UDP:127.0.0.1:$port" || fail "socat over UDP"
for _ in $(seq 50); do grep -q 'over udp' "$TMP/both.out" && grep -q 'over tcp' "$TMP/both.out" && break; sleep 0.1; done
grep -q 'over tcp' "$TMP/both.out" || { show_file out "$TMP/both.out"; fail "the TCP client's line did not arrive"; }
grep -q 'over udp' "$TMP/both.out" || { show_file out "$TMP/both.out"; fail "the UDP client's line did not arrive"; }
kill_tree "$pid"
note "tcp,udp: both on port $port, both clients served"

# One stack alone is still one listening event.
fifo_from sleep "$TAPS_TIMEOUT"
tc -l -k --json 127.0.0.1 0 <"$FIFO" >/dev/null 2>"$TMP/one.err" &
pid=$!
wait_for_listen_port "$TMP/one.err" "$pid" >/dev/null
sleep 0.2
assert_eq 1 "$(count_events "$TMP/one.err" listening)" "listening events of a plain TCP listener"
assert_eq 1 "$(count_events "$TMP/one.err" listening stack=tcp)" "its stack"
kill_tree "$pid"

# --- tls/tcp and tcp on one port ----------------------------------------------------
mkdir "$TMP/cwd"
(cd "$TMP/cwd" && tc -l -k --json --protocols tls,tcp -e 'echo banner' 127.0.0.1 0 >"$TMP/opp.out" 2>"$TMP/opp.err") &
pid=$!
port=$(wait_for_listen_port "$TMP/opp.err" "$pid")
wait_for_event "$TMP/opp.err" listening 2 "$pid"
assert_eq 1 "$(count_events "$TMP/opp.err" listening stack=tls/tcp local="127.0.0.1:$port")" "tls/tcp listening"
assert_eq 1 "$(count_events "$TMP/opp.err" listening stack=tcp local="127.0.0.1:$port")" "tcp listening on the same port"
pin=$(json_field "$TMP/opp.err" certificate pin)
[[ $pin =~ ^[0-9a-f]{64}$ ]] || { show_file stderr "$TMP/opp.err"; fail "no certificate pin"; }

# openssl s_client: a TLS 1.3 session, and the exec'd command's banner through it.
timeout 10 openssl s_client -quiet -connect "127.0.0.1:$port" </dev/null >"$TMP/s_client.out" 2>"$TMP/s_client.err" || true
grep -q banner "$TMP/s_client.out" || { show_file s_client "$TMP/s_client.err"; fail "openssl s_client got no banner over TLS"; }
# Our own opportunistic client: TLS wins (pinned), no plaintext warning.
expect_exit 0 "--protocols tls,tcp client" tc --json --protocols tls,tcp --pin "$pin" 127.0.0.1 "$port" </dev/null
grep -q banner "$TMP/stdout" || fail "our TLS client got no banner"
assert_eq 1 "$(count_events "$TMP/stderr" ready stack=tls/tcp)" "our client's winning stack"
# socat speaking first: plain TCP at once.
start=$(now_ms)
printf 'hello\n' | tsocat -t 3 - "TCP:127.0.0.1:$port" >"$TMP/plain.out" || fail "plain socat client"
grep -q banner "$TMP/plain.out" || fail "a plain client speaking first got no banner"
# socat silent: plain TCP after the grace period (1 s), not never.
start=$(now_ms)
tsocat -u "TCP:127.0.0.1:$port" - </dev/null >"$TMP/silent.out" || fail "silent plain socat client"
elapsed=$(($(now_ms) - start))
grep -q banner "$TMP/silent.out" || fail "a silent plain client got no banner"
((elapsed >= 900)) || fail "a silent plain client was served after $elapsed ms, before the grace period"
assert_eq 2 "$(count_events "$TMP/opp.err" connection_received stack=tls/tcp)" "TLS clients received"
assert_eq 2 "$(count_events "$TMP/opp.err" connection_received stack=tcp)" "plain clients received"
kill_tree "$pid"
note "tls,tcp: one port $port; s_client and our client TLS, socat plain (silent one after $elapsed ms)"
