#!/usr/bin/env bash
# Message framers on the command line: --framer lp against a python3 peer that splits
# length-prefixed messages across odd TCP segment boundaries; each message comes out
# as one line. An oversize length ends the connection with exit 3; --framer line over
# UDP sends one datagram per line.
source "$(dirname "$0")/lib.sh"
need_cmd python3

# A python3 TCP peer on a free port. Mode "send": writes MESSAGES length-prefixed, cut
# into pieces of 1, 2, 3, 5, 7, ... bytes with pauses, then closes. Mode "oversize":
# announces a length of 1000 and some bytes.
start_peer() {
  python3 - "$1" "$TMP/peer.port" <<'PY' 2>"$TMP/peer.err" &
import os, socket, struct, sys, time
mode, portfile = sys.argv[1], sys.argv[2]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
open(portfile + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
s.settimeout(20)
c, _ = s.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
if mode == "send":
    messages = [b"a", b"", b"hello world", b"x" * 70000, bytes(range(256)).replace(b"\n", b"")]
    wire = b"".join(struct.pack(">I", len(m)) + m for m in messages)
    sizes, i, k = [1, 2, 3, 5, 7, 11, 13, 4093, 65537], 0, 0
    while i < len(wire):
        n = sizes[k % len(sizes)]
        c.sendall(wire[i:i + n])
        i, k = i + n, k + 1
        time.sleep(0.002)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
else:
    c.sendall(struct.pack(">I", 1000) + b"z" * 10)
    time.sleep(2)
c.close()
PY
  PEER_PID=$!
  for _ in $(seq 100); do [[ -s $TMP/peer.port ]] && break; sleep 0.1; done
  [[ -s $TMP/peer.port ]] || { show_file "peer stderr" "$TMP/peer.err"; fail "python peer did not start"; }
  PEER_PORT=$(cat "$TMP/peer.port")
  rm -f "$TMP/peer.port"
}

# --- lp messages split at odd boundaries arrive whole, one line each ----------------
start_peer send
rc=0
tc --framer lp 127.0.0.1 "$PEER_PORT" </dev/null >"$TMP/lp.out" 2>"$TMP/lp.err" || rc=$?
[[ $rc == 0 ]] || { show_file "stderr" "$TMP/lp.err"; fail "taps-cat --framer lp exit $rc, expected 0"; }
python3 -c '
import sys
messages = [b"a", b"", b"hello world", b"x" * 70000, bytes(range(256)).replace(b"\n", b"")]
sys.stdout.buffer.write(b"".join(m + b"\n" for m in messages))' >"$TMP/lp.expected"
cmp -s "$TMP/lp.expected" "$TMP/lp.out" || { show_file "stdout" "$TMP/lp.out"; fail "deframed lines differ from the messages"; }
note "lp: 5 messages across odd segment boundaries: ok"

# --- the other way: stdin lines become lp messages that a python3 reader checks ------
tc -l 127.0.0.1 0 --framer lp --json < <(printf 'first\nsecond line\n\nlast without newline') \
  >"$TMP/l.out" 2>"$TMP/l.err" &
listener=$!
port=$(wait_for_listen_port "$TMP/l.err" "$listener")
python3 - "$port" >"$TMP/reader.out" <<'PY'
import socket, struct, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
data = b""
while True:
    chunk = c.recv(65536)
    if not chunk:
        break
    data += chunk
out = []
while data:
    (n,) = struct.unpack(">I", data[:4])
    out.append(data[4:4 + n].decode())
    data = data[4 + n:]
print(repr(out))
PY
wait_rc "$listener"
[[ $RC == 0 ]] || { show_file "listener stderr" "$TMP/l.err"; fail "listener exit $RC, expected 0"; }
assert_eq "['first', 'second line', '', 'last without newline']" "$(cat "$TMP/reader.out")" "messages read by python3"
note "lp: stdin lines as messages: ok"

# --- an oversize length fails the connection: exit 3, the reason on stderr ----------
start_peer oversize
rc=0
tc --framer lp --max-message 100 127.0.0.1 "$PEER_PORT" </dev/null >"$TMP/big.out" 2>"$TMP/big.err" || rc=$?
assert_eq 3 "$rc" "exit code for an oversize length"
grep -q "message length 1000 exceeds the maximum of 100 bytes" "$TMP/big.err" ||
  { show_file "stderr" "$TMP/big.err"; fail "stderr does not give the reason"; }
[[ ! -s $TMP/big.out ]] || fail "nothing may reach stdout from a failed message"
note "lp: oversize length -> exit 3: ok"

# --- line framer over UDP: one datagram per line, the newline included --------------
python3 - "$TMP/udp.port" "$TMP/udp.got" <<'PY' 2>"$TMP/udp.err" &
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(10)
got = []
while len(got) < 3:
    got.append(s.recv(65536))
open(sys.argv[2], "w").write(repr(got))
PY
udp_peer=$!
for _ in $(seq 100); do [[ -s $TMP/udp.port ]] && break; sleep 0.1; done
printf 'one\ntwo\nthree\n' | tc --udp --framer line 127.0.0.1 "$(cat "$TMP/udp.port")" 2>"$TMP/udp.client.err" ||
  { show_file "stderr" "$TMP/udp.client.err"; fail "UDP line client failed"; }
wait_rc "$udp_peer"
assert_eq "[b'one\\n', b'two\\n', b'three\\n']" "$(cat "$TMP/udp.got")" "datagrams seen by the peer"
note "line over UDP: one datagram per line: ok"
