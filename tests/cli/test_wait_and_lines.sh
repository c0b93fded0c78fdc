#!/usr/bin/env bash
# -w SEC on TCP is an idle bound (issue 14 item 6, issue 15 item 5): a stalled peer ends
# taps-cat with exit 4 instead of holding it for ever; before, -w was ignored on TCP.
# --udp --lines: one datagram per stdin line (issue 14 item 6): before, one per read,
# so a pipe turned 20 lines into a handful of datagrams.
source "$(dirname "$0")/lib.sh"
need_cmd python3 socat

# --- TCP -w: a peer that accepts and then says nothing ---------------------------------
start_port_listener hold tsocat -u TCP-LISTEN:@PORT@,reuseaddr SYSTEM:'sleep 30' </dev/null >/dev/null
fifo_from sleep 30
start=$(now_ms)
rc=0
tc -w 1 127.0.0.1 "$LISTENER_PORT" <"$FIFO" >/dev/null 2>"$TMP/w.err" || rc=$?
took=$(($(now_ms) - start))
assert_eq 4 "$rc" "exit code of taps-cat -w 1 against a silent peer"
grep -q 'no data either way for 1 s (-w)' "$TMP/w.err" || { show_file stderr "$TMP/w.err"; fail "no error naming -w"; }
((took < 8000)) || fail "-w 1 ended only after $took ms"
kill_tree "$LISTENER_PID"
note "TCP -w 1 against a silent peer: exit 4 after $took ms: ok"

# --- data that keeps flowing is not idle ------------------------------------------------
start_port_listener sink tsocat -u TCP-LISTEN:@PORT@,reuseaddr OPEN:"$TMP/sink.bin",creat,trunc </dev/null >/dev/null
rc=0
(for i in 1 2 3; do printf 'tick %s\n' "$i"; sleep 0.5; done) | tc -w 1 127.0.0.1 "$LISTENER_PORT" >/dev/null 2>"$TMP/w2.err" || rc=$?
assert_eq 0 "$rc" "exit code with data every 0.5 s under -w 1"
wait "$LISTENER_PID" 2>/dev/null || true
assert_eq 3 "$(wc -l <"$TMP/sink.bin")" "lines received under -w 1"
note "TCP -w 1 with data flowing: exit 0: ok"

# --- --udp --lines: a datagram per line ------------------------------------------------
cat >"$TMP/udp_count.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1], flush=True)
s.settimeout(3)
out = open(sys.argv[1], "w")
try:
    while True:
        d, _ = s.recvfrom(70000)
        out.write(repr(d) + "\n"); out.flush()
except socket.timeout:
    pass
PY
python3 "$TMP/udp_count.py" "$TMP/dgrams" >"$TMP/udp.port" &
rx=$!
for _ in $(seq 50); do [[ -s $TMP/udp.port ]] && break; sleep 0.1; done
seq 1 20 | tc --udp --lines 127.0.0.1 "$(cat "$TMP/udp.port")" 2>"$TMP/u.err" || { show_file stderr "$TMP/u.err"; fail "taps-cat --udp --lines failed"; }
wait "$rx" || true
assert_eq 20 "$(wc -l <"$TMP/dgrams")" "datagrams for 20 lines"
assert_eq "b'7\\n'" "$(sed -n 7p "$TMP/dgrams")" "the 7th datagram (its newline kept)"
note "--udp --lines: 20 lines, 20 datagrams: ok"

rc=0
tc --lines 127.0.0.1 9 </dev/null 2>"$TMP/l.err" || rc=$?
assert_eq 1 "$rc" "--lines without --udp"
grep -q -- '--lines is for --udp' "$TMP/l.err" || { show_file stderr "$TMP/l.err"; fail "no usage error naming --lines"; }
echo PASS
