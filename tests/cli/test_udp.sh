#!/usr/bin/env bash
# UDP: each read of stdin is one datagram (boundaries kept both ways); --wait keeps
# receiving replies after stdin EOF; a UDP listener makes one connection per remote
# endpoint (-k: serves them all).
source "$(dirname "$0")/lib.sh"
need_cmd python3

# --- client: datagram boundaries against a python3 echo peer ------------------------
# The peer records each datagram's length and answers "echo:" + datagram.
python3 - "$TMP/peer.port" "$TMP/peer.lens" <<'PY' 2>"$TMP/peer.err" &
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(25)
tmp = sys.argv[1] + ".tmp"
open(tmp, "w").write(str(s.getsockname()[1]))
os.rename(tmp, sys.argv[1])
with open(sys.argv[2], "w") as lens:
    while True:
        try:
            data, addr = s.recvfrom(70000)
        except socket.timeout:
            break
        lens.write("%d\n" % len(data))
        lens.flush()
        s.sendto(b"echo:" + data, addr)
PY
for _ in $(seq 50); do [[ -s $TMP/peer.port ]] && break; sleep 0.1; done
[[ -s $TMP/peer.port ]] || { show_file "peer stderr" "$TMP/peer.err"; fail "python UDP peer did not start"; }
port=$(cat "$TMP/peer.port")

# Three writes with pauses: three reads of stdin, so three datagrams. Sizes stay under
# PIPE_BUF (4096) so each write reaches the reader whole.
cat >"$TMP/writer.py" <<'PY'
import os, sys, time
chunks = [b"alpha", b"B" * 1000, b"gamma-" * 600]
for i, c in enumerate(chunks):
    if i:
        time.sleep(0.3)
    os.write(1, c)
PY
python3 -c 'import sys; sys.stdout.buffer.write(b"echo:alpha" + b"echo:" + b"B"*1000 + b"echo:" + b"gamma-"*600)' >"$TMP/expected"

t0=$(now_ms)
rc=0
python3 "$TMP/writer.py" | tc --udp --wait 1 127.0.0.1 "$port" >"$TMP/client.out" 2>"$TMP/client.err" || rc=$?
elapsed=$(($(now_ms) - t0))
[[ $rc == 0 ]] || { show_file "client stderr" "$TMP/client.err"; fail "UDP client exit $rc, expected 0"; }
assert_file_eq $'5\n1000\n3600\n' "$TMP/peer.lens" "datagram lengths seen by the peer"
if ! cmp -s "$TMP/expected" "$TMP/client.out"; then
  show_file "client stdout" "$TMP/client.out"
  fail "UDP client stdout is not the three echoes ($(stat -c %s "$TMP/client.out") bytes, expected $(stat -c %s "$TMP/expected"))"
fi
((elapsed >= 1500)) || fail "UDP client exited after ${elapsed} ms: --wait 1 after the last datagram (~0.6 s) means >= 1.6 s"
((elapsed < 8000)) || fail "UDP client took ${elapsed} ms, expected ~1.6 s (--wait 1)"
[[ ! -s $TMP/client.err ]] || { show_file "client stderr" "$TMP/client.err"; fail "UDP client wrote to stderr"; }
note "client: three datagrams, three echoes: ok (${elapsed} ms)"

# --- listener: two senders on different source ports --------------------------------
# send_from TAG PORT: one datagram "from-TAG\n" from a fresh socket (fresh source port);
# prints that source port.
send_from() {
  python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.sendto(b"from-%s\n" % sys.argv[1].encode(), ("127.0.0.1", int(sys.argv[2])))
print(s.getsockname()[1])
PY
}

# wait_for_content FILE NEEDLE: up to 5 s.
wait_for_content() {
  for _ in $(seq 50); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# The listener's stdin stays open (a UDP listener would send stdin to its peers).
for mode in keep single; do
  kflag=()
  [[ $mode == keep ]] && kflag=(-k)
  lout="$TMP/l-$mode.out" lerr="$TMP/l-$mode.err"
  fifo_from sleep 60
  tc -l --udp "${kflag[@]}" 127.0.0.1 0 --json >"$lout" 2>"$lerr" <"$FIFO" &
  lpid=$!
  lport=$(wait_for_listen_port "$lerr" "$lpid")
  sa=$(send_from A "$lport")
  wait_for_content "$lout" from-A || { show_file "listener stderr" "$lerr"; fail "UDP listener ($mode): first payload not on stdout"; }
  sb=$(send_from B "$lport")
  [[ $sa != "$sb" ]] || fail "the two senders used the same source port"
  if [[ $mode == keep ]]; then
    wait_for_content "$lout" from-B || { show_file "listener stdout" "$lout"; show_file "listener stderr" "$lerr"; fail "UDP listener -k: second sender's payload not on stdout"; }
    for _ in $(seq 20); do [[ $(count_events "$lerr" connection_received) -ge 2 ]] && break; sleep 0.1; done
  else
    sleep 0.5 # give a wrong second connection the time to show up
  fi
  kill -0 "$lpid" 2>/dev/null || { show_file "listener stderr" "$lerr"; fail "UDP listener ($mode) exited before it was stopped"; }
  kill_tree "$lpid"
  wait "$lpid" 2>/dev/null || true
  if [[ $mode == keep ]]; then
    assert_eq 2 "$(count_events "$lerr" connection_received)" "UDP listener -k: connection_received events"
    for sp in "$sa" "$sb"; do
      [[ $(count_events "$lerr" connection_received remote="127.0.0.1:$sp") == 1 ]] ||
        { show_file "listener stderr" "$lerr"; fail "UDP listener -k: no connection_received with remote 127.0.0.1:$sp"; }
    done
    [[ $(sort "$lout") == $'from-A\nfrom-B' ]] || { show_file "listener stdout" "$lout"; fail "UDP listener -k: stdout should hold exactly both payloads"; }
    note "listener -k: two senders, two connections: ok"
  else
    # Without -k the listener serves the first remote endpoint only.
    assert_eq 1 "$(count_events "$lerr" connection_received)" "UDP listener without -k: connection_received events"
    assert_file_eq $'from-A\n' "$lout" "UDP listener without -k: stdout (first peer only)"
    note "listener without -k: first sender only: ok"
  fi
done

echo PASS
