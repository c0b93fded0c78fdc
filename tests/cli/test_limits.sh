#!/usr/bin/env bash
# Bounds that keep taps-cat's memory and descriptors finite (issue 16 items 1, 5, 9, 10,
# 12, 14): each part failed before its fix (crash, unbounded growth, busy loop, or a
# bad value accepted).
source "$(dirname "$0")/lib.sh"
need_cmd python3

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# A TCP server that accepts and never reads (its kernel buffers fill, then ours would).
cat >"$TMP/sink.py" <<'PY'
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
PY

# --- --max-message out of range: a usage error, not a limit that wraps to 0 -------------
for bad in -1 0 18446744073709551615 4294967296 12x; do
  rc=0
  tc --framer line --max-message "$bad" 127.0.0.1 9 </dev/null 2>"$TMP/mm.err" || rc=$?
  assert_eq 1 "$rc" "exit code for --max-message $bad"
  grep -q -- "--max-message '$bad'" "$TMP/mm.err" || { show_file stderr "$TMP/mm.err"; fail "error does not name --max-message $bad"; }
done
note "--max-message out of range rejected: ok"

# --- an endless line on stdin with --framer line: an error, not gigabytes ----------------
start_port_listener drain tsocat -u TCP-LISTEN:@PORT@,reuseaddr OPEN:/dev/null </dev/null >/dev/null
rc=0
tc --framer line --max-message 65536 127.0.0.1 "$LISTENER_PORT" </dev/zero >/dev/null 2>"$TMP/line.err" || rc=$?
assert_eq 3 "$rc" "exit code for an input line over --max-message"
grep -q 'longer than --max-message (65536 bytes)' "$TMP/line.err" || { show_file stderr "$TMP/line.err"; fail "no error naming the line limit"; }
kill_tree "$LISTENER_PID"
note "endless input line: exit 3 at --max-message: ok"

# --- empty messages to a peer that never reads: bounded like bytes ---------------------
python3 "$TMP/sink.py" >"$TMP/sink.port" &
sink=$!
for _ in $(seq 50); do [[ -s $TMP/sink.port ]] && break; sleep 0.1; done
sink_port=$(cat "$TMP/sink.port")
yes '' | tc --framer lp 127.0.0.1 "$sink_port" >/dev/null 2>"$TMP/empty.err" &
client=$!
sleep 4
pid=$(pgrep -f "^$TAPS_CAT --framer lp 127.0.0.1 $sink_port" | head -1 || true)
[[ -n $pid ]] || fail "taps-cat sending empty messages is not running"
rss=$(rss_kib "$pid")
kill_tree "$client"
kill_tree "$sink"
note "RSS after 4 s of empty lp messages to a stalled peer: $rss KiB"
((rss < 300000)) || fail "taps-cat grew to $rss KiB sending empty messages to a peer that does not read"
note "empty messages bounded: ok"

# --- -k --max-clients: connections beyond the limit wait in the backlog -----------------
tc -l -k --max-clients 2 127.0.0.1 0 --json >"$TMP/mc.out" 2>"$TMP/mc.err" </dev/null &
lpid=$!
port=$(wait_for_listen_port "$TMP/mc.err" "$lpid")
cat >"$TMP/hold.py" <<'PY'
import socket, sys, time
port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
cs = []
for i in range(n):
    c = socket.create_connection(("127.0.0.1", port)); c.sendall(b"client %d\n" % i); cs.append(c)
time.sleep(hold)
PY
python3 "$TMP/hold.py" "$port" 3 1.5 &
holder=$!
sleep 1
assert_eq 2 "$(count_events "$TMP/mc.err" connection_received)" "connections served at once with --max-clients 2"
wait "$holder" || true
for _ in $(seq 50); do (($(count_events "$TMP/mc.err" connection_received) >= 3)) && break; sleep 0.1; done
assert_eq 3 "$(count_events "$TMP/mc.err" connection_received)" "the waiting connection is served once one ended"
kill_tree "$lpid"
note "--max-clients: ok"

# --- at the descriptor limit: no crash, no busy loop, serving again afterwards ----------
(
  ulimit -n 64
  exec "$TAPS_CAT" -l -k --max-clients 1000 127.0.0.1 0 --json >"$TMP/fd.out" 2>"$TMP/fd.err" </dev/null
) &
lpid=$!
port=$(wait_for_listen_port "$TMP/fd.err" "$lpid")
python3 "$TMP/hold.py" "$port" 100 4 &
holder=$!
sleep 1.5
kill -0 "$lpid" 2>/dev/null || { show_file stderr "$TMP/fd.err"; fail "listener died at the descriptor limit"; }
before=$(cpu_ticks "$lpid")
sleep 2
after=$(cpu_ticks "$lpid")
ticks=$((after - before))
note "listener CPU while out of descriptors: $ticks ticks in 2 s"
((ticks < 100)) || fail "listener spins at the descriptor limit ($ticks of 200 ticks)"
grep -q 'pausing new connections' "$TMP/fd.err" || { show_file stderr "$TMP/fd.err"; fail "no warning about the descriptor shortage"; }
wait "$holder" || true
sleep 0.5
printf 'after the crowd\n' | tc 127.0.0.1 "$port" >/dev/null 2>"$TMP/late.err" || true
for _ in $(seq 50); do grep -q 'after the crowd' "$TMP/fd.out" && break; sleep 0.1; done
grep -q 'after the crowd' "$TMP/fd.out" || { show_file stderr "$TMP/fd.err"; fail "listener does not serve again once descriptors are free"; }
kill -0 "$lpid" 2>/dev/null || fail "listener exited"
kill_tree "$lpid"
note "descriptor limit: no crash, backs off, serves again: ok"

echo PASS
