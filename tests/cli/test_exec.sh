#!/usr/bin/env bash
# taps-cat -l -e CMD: the connection is CMD's stdin/stdout. One connection without -k;
# with -k, connections in sequence and at the same time.
source "$(dirname "$0")/lib.sh"
need_cmd python3

# --- one connection, then the listener exits 0 ---------------------------------------
tc -l 127.0.0.1 0 -e cat --json 2>"$TMP/l1.err" >"$TMP/l1.out" </dev/null &
lpid=$!
port=$(wait_for_listen_port "$TMP/l1.err" "$lpid")
rc=0
printf 'ping\n' | tc 127.0.0.1 "$port" >"$TMP/c1.out" 2>"$TMP/c1.err" || rc=$?
[[ $rc == 0 ]] || { show_file "client stderr" "$TMP/c1.err"; fail "client exit $rc"; }
assert_file_eq $'ping\n' "$TMP/c1.out" "client stdout (echo through -e cat)"
wait_rc "$lpid"
[[ $RC == 0 ]] || { show_file "listener stderr" "$TMP/l1.err"; fail "listener (no -k) exit $RC after one connection, expected 0"; }
[[ ! -s $TMP/l1.out ]] || { show_file "listener stdout" "$TMP/l1.out"; fail "listener with -e wrote payload to its own stdout"; }
assert_eq 1 "$(count_events "$TMP/l1.err" connection_received)" "connection_received events (no -k)"
note "-e cat, one connection: ok"

# --- -k: two clients in sequence ----------------------------------------------------
tc -l 127.0.0.1 0 -k -e cat --json 2>"$TMP/lk.err" >"$TMP/lk.out" </dev/null &
lpid=$!
port=$(wait_for_listen_port "$TMP/lk.err" "$lpid")
for i in 1 2; do
  rc=0
  printf 'seq-%s\n' "$i" | tc 127.0.0.1 "$port" >"$TMP/s$i.out" 2>"$TMP/s$i.err" || rc=$?
  [[ $rc == 0 ]] || { show_file "client $i stderr" "$TMP/s$i.err"; show_file "listener stderr" "$TMP/lk.err"; fail "-k sequential client $i exit $rc"; }
  assert_file_eq "seq-$i"$'\n' "$TMP/s$i.out" "-k sequential client $i stdout"
done
note "-k -e cat, two clients in sequence: ok"

# --- -k: two clients at the same time -----------------------------------------------
# Client A keeps its connection (and stdin) open until client B has its echo: if the
# listener served one connection at a time, B would never get it and A would time out.
# The seq loop bounds A's wait (10 s) so a failure is reported, not hung.
{
  printf 'conc-A\n'
  for _ in $(seq 100); do [[ -s $TMP/B.out ]] && break; sleep 0.1; done
} | tc 127.0.0.1 "$port" >"$TMP/A.out" 2>"$TMP/A.err" &
apid=$!
sleep 0.2
rc=0
printf 'conc-B\n' | tc 127.0.0.1 "$port" >"$TMP/B.out" 2>"$TMP/B.err" || rc=$?
[[ $rc == 0 ]] || { show_file "client B stderr" "$TMP/B.err"; fail "-k concurrent client B exit $rc"; }
assert_file_eq $'conc-B\n' "$TMP/B.out" "-k concurrent client B stdout (while A is connected)"
wait_rc "$apid"
[[ $RC == 0 ]] || { show_file "client A stderr" "$TMP/A.err"; fail "-k concurrent client A exit $RC"; }
assert_file_eq $'conc-A\n' "$TMP/A.out" "-k concurrent client A stdout"
kill -0 "$lpid" 2>/dev/null || { show_file "listener stderr" "$TMP/lk.err"; fail "-k listener exited"; }
assert_eq 4 "$(count_events "$TMP/lk.err" connection_received)" "connection_received events (-k)"
[[ ! -s $TMP/lk.out ]] || { show_file "listener stdout" "$TMP/lk.out"; fail "listener with -e wrote payload to its own stdout"; }
note "-k -e cat, two clients at the same time: ok"

# --- the command's exit status counts (issue 16 item 17) -----------------------------
tc -l 127.0.0.1 0 -e /nonexistent/command --json 2>"$TMP/bad.err" >/dev/null </dev/null &
lpid=$!
port=$(wait_for_listen_port "$TMP/bad.err" "$lpid")
printf 'x\n' | tc 127.0.0.1 "$port" >/dev/null 2>&1 || true
wait_rc "$lpid"
[[ $RC == 3 ]] || { show_file "listener stderr" "$TMP/bad.err"; fail "-e with a missing command: exit $RC, expected 3"; }
grep -q "command '/nonexistent/command' exited with status 127" "$TMP/bad.err" || { show_file "listener stderr" "$TMP/bad.err"; fail "no error with the command's exit status"; }
grep -q '"event":"exec_exit".*"exit_status":127' "$TMP/bad.err" || { show_file "listener stderr" "$TMP/bad.err"; fail "no exec_exit JSON event with exit_status 127"; }
note "-e command that fails: exit 3 with its status: ok"

echo PASS
