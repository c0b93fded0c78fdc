#!/usr/bin/env bash
# Regressions of taps-mcast-recv (issue 14 item 6, issue 16 items 3 and 11, and their
# unclear errors): one datagram shows no rate; the same -s twice still ends at -t; -i
# applies to link-scope groups; a framing error keeps one sender one stats entry;
# senders are capped (refused ones counted) and idle ones forgotten; --ttl -1 refused.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd python3
netns_pair rbA rbB 10.99.50.1 10.99.50.2
ip -n "$NS_A" -6 addr add fe80::50:1/64 dev veth0 nodad 2>/dev/null || true
group=232.99.50.1
port=5050

# --- one datagram: no rate at all (was "58806 pps") ---------------------------------------
mcast_recv "$NS_B" -s 10.99.50.1 "$group" "$port" -c 1 -o none >/dev/null 2>"$TMP/one.err" &
rx=$!
sleep 0.5
mcast_sender "$NS_A" --source 10.99.50.1 -c 1 "$group" "$port" 2>/dev/null
wait_rc "$rx"
assert_eq 0 "$RC" "one datagram, -c 1"
grep -q ': 1 pkts' "$TMP/one.err" || { show_file "stderr" "$TMP/one.err"; fail "no summary of the one datagram"; }
if grep -q 'pps' "$TMP/one.err"; then show_file "stderr" "$TMP/one.err"; fail "a single datagram shows a rate"; fi
mcast_recv "$NS_B" -s 10.99.50.1 "$group" "$port" -c 1 -o none --json >/dev/null 2>"$TMP/one.json" &
rx=$!
wait_for_event "$TMP/one.json" join 1 "$rx"
mcast_sender "$NS_A" --source 10.99.50.1 -c 1 "$group" "$port" 2>/dev/null
wait_rc "$rx"
assert_eq 0.0 "$(json_field "$TMP/one.json" stats pps)" "pps of one datagram"
note "one datagram: ok"

# --- the same source twice: -t still ends it (issue 16 item 3) ------------------------------
start=$(now_ms)
mcast_recv "$NS_B" -s 10.99.50.1 -s 10.99.50.1 "$group" "$port" -t 1 -o none >/dev/null 2>"$TMP/twice.err" || RC=$?
assert_eq 4 "${RC:-0}" "-s S -s S with -t 1 and nothing sent"
(($(now_ms) - start < 8000)) || fail "-s S -s S -t 1 took $(($(now_ms) - start)) ms"
grep -q 'nothing arrived' "$TMP/twice.err" || { show_file "stderr" "$TMP/twice.err"; fail "no hints after -t"; }
note "-s S -s S: ok"

# --- link-scope group with -i (was "Invalid argument"), and without (a usage error) --------
rc=0
mcast_recv "$NS_B" ff02::1:50 "$port" -t 1 2>"$TMP/nozone.err" || rc=$?
assert_eq 1 "$rc" "link-scope group without -i"
grep -q 'ff02::1:50 needs an interface.*-i' "$TMP/nozone.err" || { show_file "stderr" "$TMP/nozone.err"; fail "the error does not say how to name the interface"; }
mcast_recv "$NS_B" -i veth0 ff02::1:50 "$port" -c 5 -o none --json >/dev/null 2>"$TMP/ll.err" &
rx=$!
wait_for_event "$TMP/ll.err" join 1 "$rx"
mcast_sender "$NS_A" -i veth0 --rate 100 -c 5 ff02::1:50 "$port" 2>"$TMP/ll.tx.err" || { show_file "sender" "$TMP/ll.tx.err"; fail "link-scope send"; }
wait_rc "$rx"
[[ $RC == 0 ]] || { show_file "receiver" "$TMP/ll.err"; fail "link-scope receive with -i exited $RC"; }
assert_eq veth0 "$(json_field "$TMP/ll.err" join interface)" "link-scope join interface"
note "ff02:: with -i: ok"

# --- a framing error keeps one sender one entry -------------------------------------------
mcast_recv "$NS_B" -s 10.99.50.1 "$group" "$port" --framer lp -c 3 -o none --json >/dev/null 2>"$TMP/frame.err" &
rx=$!
wait_for_event "$TMP/frame.err" join 1 "$rx"
ns_exec "$NS_A" python3 - "$group" "$port" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.50.1", 0))
s.sendto(b"\xff\xff\xff\xffgarbage", (sys.argv[1], int(sys.argv[2])))
time.sleep(0.3)
for i in range(3):
    s.sendto(struct.pack("!I", 5) + b"hello", (sys.argv[1], int(sys.argv[2])))
    time.sleep(0.05)
PY
wait_rc "$rx"
[[ $RC == 0 ]] || { show_file "receiver" "$TMP/frame.err"; fail "receiver after a framing error exited $RC"; }
assert_eq 1 "$(count_events "$TMP/frame.err" sender)" "sender events after a framing error"
assert_eq 1 "$(count_events "$TMP/frame.err" stats)" "stats entries after a framing error"
note "framing error, one sender: ok"

# --- senders capped, refused ones counted, idle ones forgotten (issue 16 item 11) ----------
mcast_recv "$NS_B" 239.99.50.1 "$port" --max-senders 10 --sender-idle 0.5 -t 3 -o none --json >/dev/null 2>"$TMP/cap.err" &
rx=$!
wait_for_event "$TMP/cap.err" join 1 "$rx"
ns_exec "$NS_A" python3 - 239.99.50.1 "$port" <<'PY'
import socket, sys
for i in range(50):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.99.50.1", 0))
    s.sendto(b"x", (sys.argv[1], int(sys.argv[2])))
    s.close()
PY
wait_rc "$rx"
assert_eq 0 "$RC" "capped receiver"
assert_eq 10 "$(count_events "$TMP/cap.err" sender)" "senders followed"
assert_eq 40 "$(json_field "$TMP/cap.err" refused senders)" "senders refused"
assert_eq 10 "$(count_events "$TMP/cap.err" sender_idle)" "idle senders forgotten"
note "sender cap and idle reaping: ok"

# --- -o lines does not double a newline the payload ends with; -o lp keeps boundaries -----
for mode in lines lp; do
  mcast_recv "$NS_B" -s 10.99.50.1 "$group" "$port" -c 3 -o "$mode" --json >"$TMP/out.$mode" 2>"$TMP/out.$mode.err" &
  rx=$!
  wait_for_event "$TMP/out.$mode.err" join 1 "$rx"
  ns_exec "$NS_A" python3 - "$group" "$port" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.50.1", 0))
for payload in (b"one\n", b"two", b"a\nb\n"):
    s.sendto(payload, (sys.argv[1], int(sys.argv[2])))
    time.sleep(0.05)
PY
  wait_rc "$rx"
  assert_eq 0 "$RC" "-o $mode receiver"
done
assert_file_eq $'one\ntwo\na\nb\n' "$TMP/out.lines" "-o lines"
printf '\0\0\0\4one\n\0\0\0\3two\0\0\0\4a\nb\n' >"$TMP/expected.lp"
cmp -s "$TMP/expected.lp" "$TMP/out.lp" || { od -c "$TMP/out.lp" >&2; fail "-o lp: not length-prefixed datagrams"; }
note "-o lines and -o lp: ok"

# --- --ttl -1 is refused -------------------------------------------------------------------
rc=0
"$TAPS_MCAST_SEND" --ttl -1 "$group" "$port" 2>"$TMP/ttl.err" || rc=$?
assert_eq 1 "$rc" "--ttl -1"
grep -q "'-1'" "$TMP/ttl.err" || { show_file "stderr" "$TMP/ttl.err"; fail "--ttl -1 not named"; }
echo PASS
