#!/usr/bin/env bash
# One memory budget for unfinished messages across connections (issue 16 item 12): 40
# clients each announce a 16 MiB lp message and send 15 MiB of it, then stall. Before,
# the listener held all of it (600 MiB); now connections past the process budget
# (256 MiB beyond 1 MiB each) fail with a reason and the listener keeps serving.
source "$(dirname "$0")/lib.sh"
need_cmd python3

# Freed buffers go back at once (no ASan quarantine), so RSS measures what is held.
ASAN_OPTIONS=quarantine_size_mb=1:${ASAN_OPTIONS:-} tc -l -k --framer lp 127.0.0.1 0 --json >/dev/null 2>"$TMP/l.err" </dev/null &
lpid=$!
port=$(wait_for_listen_port "$TMP/l.err" "$lpid")
pid=$(pgrep -f "^$TAPS_CAT -l -k --framer lp 127.0.0.1 0" | head -1 || true)
[[ -n $pid ]] || fail "listener not found"

cat >"$TMP/stall.py" <<'PY'
import socket, struct, sys, threading, time
port, n = int(sys.argv[1]), int(sys.argv[2])
chunk = b"x" * (1 << 20)
def client():
    try:
        c = socket.create_connection(("127.0.0.1", port))
        c.sendall(struct.pack(">I", 16 << 20))
        for _ in range(15):
            c.sendall(chunk)
        time.sleep(20)
    except OSError:
        pass
ts = [threading.Thread(target=client, daemon=True) for _ in range(n)]
[t.start() for t in ts]
time.sleep(float(sys.argv[3]))
PY
python3 "$TMP/stall.py" "$port" 40 12 &
clients=$!
peak=0
for _ in $(seq 20); do
  sleep 0.5
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  ((rss > peak)) && peak=$rss
done
note "listener peak RSS with 40 stalled 15 MiB messages: $((peak / 1024)) MiB"
kill -0 "$lpid" 2>/dev/null || { show_file stderr "$TMP/l.err"; fail "listener died"; }
grep -q 'memory budget of 256 MiB' "$TMP/l.err" || { show_file stderr "$TMP/l.err"; fail "no connection failed for the memory budget"; }
((peak < 500 * 1024)) || fail "listener RSS reached $((peak / 1024)) MiB"
kill_tree "$clients"
printf 'still serving\n' | tc --framer lp 127.0.0.1 "$port" >/dev/null 2>&1 || fail "listener no longer serves"
echo PASS
