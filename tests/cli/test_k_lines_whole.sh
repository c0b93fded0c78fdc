#!/usr/bin/env bash
# -k --framer line with a slow stdout (issue 16 item 15): lines from concurrent
# connections reach stdout whole. Before the fix every connection wrote to its own
# duplicate of stdout, and partial writes to a full pipe spliced lines together.
source "$(dirname "$0")/lib.sh"
need_cmd python3

# A slow reader: takes the pipe in small bites with pauses, so writes see a full pipe.
cat >"$TMP/slow.py" <<'PY'
import os, sys, time
out = open(sys.argv[1], "wb")
while True:
    b = os.read(0, 4096)
    if not b: break
    out.write(b)
    time.sleep(0.0005)
PY
tc -l -k --framer line 127.0.0.1 0 --json </dev/null 2>"$TMP/l.err" | python3 "$TMP/slow.py" "$TMP/l.out" &
pipeline=$!
lpid=$(pgrep -f -n "taps-cat -l -k --framer line" || true)
port=$(wait_for_listen_port "$TMP/l.err")

cat >"$TMP/clients.py" <<'PY'
import socket, sys, threading
port = int(sys.argv[1])
def client(k):
    c = socket.create_connection(("127.0.0.1", port))
    body = b"".join(b"%d-%04d-" % (k, i) + bytes([97 + k]) * 9990 + b"\n" for i in range(500))
    c.sendall(body); c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
ts = [threading.Thread(target=client, args=(k,)) for k in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
PY
python3 "$TMP/clients.py" "$port"
for _ in $(seq 200); do
  n=$(wc -l <"$TMP/l.out")
  ((n >= 2000)) && break
  sleep 0.1
done
kill_tree "$pipeline"
[[ -n $lpid ]] && kill_tree "$lpid"
n=$(wc -l <"$TMP/l.out")
assert_eq 2000 "$n" "lines on stdout"
bad=$(python3 - "$TMP/l.out" <<'PY'
import re, sys
bad = 0
for line in open(sys.argv[1], "rb"):
    m = re.fullmatch(rb"(\d)-(\d{4})-([a-d]{9990})\n", line)
    if not m or set(m.group(3)) != {97 + int(m.group(1))}: bad += 1
print(bad)
PY
)
assert_eq 0 "$bad" "lines spliced or damaged"
note "2000 lines from 4 concurrent connections, each whole: ok"
echo PASS
