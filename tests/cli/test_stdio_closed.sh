#!/usr/bin/env bash
# A closed stdin or stdout at start (issue 16 item 13): the first descriptors the tool
# opens must not take their place. Before the fix, taps-cat wrote payload into its
# event loop's eventfd (>&-) and sent the eventfd's counter as data (<&-).
source "$(dirname "$0")/lib.sh"
need_cmd python3

# --- stdout closed: an error at once, not silent loss -----------------------------------
rc=0
tc -l 127.0.0.1 0 >&- 2>"$TMP/l.err" </dev/null || rc=$?
assert_eq 1 "$rc" "exit code of taps-cat -l with stdout closed"
grep -q 'standard output is closed' "$TMP/l.err" || { show_file stderr "$TMP/l.err"; fail "no error naming the closed stdout"; }
note "stdout closed: exit 1 with a message: ok"

# With -e the payload goes to the command: a closed stdout is fine there.
tc -l 127.0.0.1 0 -e cat --json >&- 2>"$TMP/e.err" </dev/null &
lpid=$!
port=$(wait_for_listen_port "$TMP/e.err" "$lpid")
printf 'through -e\n' | tc 127.0.0.1 "$port" >"$TMP/e.out" 2>"$TMP/ec.err" || fail "client of -e listener failed"
assert_file_eq $'through -e\n' "$TMP/e.out" "echo through -e with the listener's stdout closed"
wait_rc "$lpid"
assert_eq 0 "$RC" "-e listener exit code with stdout closed"
note "stdout closed with -e: served: ok"

# --- stdin closed: EOF, nothing sent ----------------------------------------------------
start_port_listener rx tsocat -u TCP-LISTEN:@PORT@,reuseaddr OPEN:"$TMP/rx.bin",creat,trunc </dev/null >/dev/null
rc=0
tc 127.0.0.1 "$LISTENER_PORT" <&- >"$TMP/c.out" 2>"$TMP/c.err" || rc=$?
assert_eq 0 "$rc" "exit code of taps-cat with stdin closed"
wait "$LISTENER_PID" 2>/dev/null || true
[[ -e $TMP/rx.bin ]] || fail "socat wrote no file"
size=$(stat -c %s "$TMP/rx.bin")
assert_eq 0 "$size" "bytes the peer received from taps-cat with stdin closed"
note "stdin closed: nothing sent, exit 0: ok"

echo PASS
