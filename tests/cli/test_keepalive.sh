#!/usr/bin/env bash
# Keepalive (issue 16 item 6): taps-cat's connections, also those a listener accepts,
# probe an idle peer (TCP keepalive after 30 s), so a vanished peer cannot hold taps-cat
# for ever. ss shows the keepalive timer on both sockets.
source "$(dirname "$0")/lib.sh"
need_cmd ss socat
fifo_from sleep 20
tc -l 127.0.0.1 0 --json <"$FIFO" >/dev/null 2>"$TMP/l.err" &
lpid=$!
port=$(wait_for_listen_port "$TMP/l.err" "$lpid")
fifo_from sleep 20
FIFO_C=$FIFO
tc 127.0.0.1 "$port" <"$FIFO_C" >/dev/null 2>"$TMP/c.err" &
for _ in $(seq 50); do (($(count_events "$TMP/l.err" connection_received) == 1)) && break; sleep 0.1; done
ss -tnoH state established "( sport = :$port or dport = :$port )" >"$TMP/ss"
[[ $(grep -c 'timer:(keepalive' "$TMP/ss") == 2 ]] || { show_file ss "$TMP/ss"; fail "keepalive not on both sides"; }
note "keepalive timer on the accepted and the connecting socket: ok"
echo PASS
