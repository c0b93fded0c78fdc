#!/usr/bin/env bash
# The losers' sockets are closed: a first server that accepts TCP but never answers
# TLS holds attempt 1 in its handshake; attempt 2 (a real TLS server) wins, and the
# silent server is left with no established connection while the winner's stays open.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
source "$(dirname "$0")/race_lib.sh"
need_root
need_cmd socat openssl ss python3
netns_pair rloA rloB 10.96.0.1 10.96.0.2
ip -n "$NS_B" addr add 10.96.0.3/24 dev veth0
make_certs 10.96.0.2 10.96.0.3
ns_exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" socat TCP-LISTEN:7000,bind=10.96.0.2,fork,reuseaddr \
  'SYSTEM:sleep 30' 2>"$TMP/silent.err" &
fifo_from sleep 30
ns_exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" -l --tls --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
  10.96.0.3 7000 <"$FIFO" >/dev/null 2>"$TMP/server.err" &
for _ in $(seq 50); do
  [[ $(ns_exec "$NS_B" ss -Hltn 'sport = :7000' | wc -l) -ge 2 ]] && break
  sleep 0.1
done

fifo_from sleep 20
tc_in "$NS_A" --json --tls --ca "$CERTS/ca.pem" --attempt-delay 100 10.96.0.2 7000 -r 10.96.0.3:7000 \
  <"$FIFO" >/dev/null 2>"$TMP/err" &
client=$!
wait_for_event "$TMP/err" ready 1 "$client"
assert_eq 2 "$(json_field "$TMP/err" ready id)" "the winner"
assert_eq 1 "$(count_events "$TMP/err" cancelled id=1)" "attempt 1 cancelled"
silent=1
for _ in $(seq 20); do
  silent=$(ns_exec "$NS_B" ss -Htn state established '( src 10.96.0.2 and sport = :7000 )' | wc -l)
  ((silent == 0)) && break
  sleep 0.1
done
assert_eq 0 "$silent" "connections the silent server still has"
assert_eq 1 "$(ns_exec "$NS_B" ss -Htn state established '( src 10.96.0.3 and sport = :7000 )' | wc -l)" \
  "the winner's connection"
kill_tree "$client"
note "the cancelled TLS attempt's socket is closed: ok"
echo PASS
