#!/usr/bin/env bash
# taps-cat --clone N (RFC 9622 section 7.4 connection groups from the shell): N
# connections of one group; stdin lines go to them round-robin, whole lines; what comes
# back reaches stdout; at stdin EOF the group closes and taps-cat exits 0. A python3
# peer counts connections and the lines each one carried. --json: every ready and
# closed event names the same group.
source "$(dirname "$0")/lib.sh"
need_cmd python3

# counter PORTFILE OUT N: accepts N connections on 127.0.0.1, echoes every line, and
# writes "connections lines-per-connection..." to OUT once all N ended.
cat >"$TMP/counter.py" <<'PY'
import socket, sys, threading
portfile, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(16)
open(portfile, "w").write(str(srv.getsockname()[1]))
counts = []
def serve(conn, index):
    f = conn.makefile("rb")
    for line in f:
        counts[index] += 1
        conn.sendall(line)
    conn.shutdown(socket.SHUT_WR)
    conn.close()
threads = []
for i in range(n):
    conn, _ = srv.accept()
    counts.append(0)
    t = threading.Thread(target=serve, args=(conn, i))
    t.start()
    threads.append(t)
for t in threads:
    t.join()
open(out, "w").write(" ".join([str(len(counts))] + [str(c) for c in counts]) + "\n")
PY

# --- a) 4 connections, 12 lines: 3 each, all echoed -----------------------------------
timeout 20 python3 "$TMP/counter.py" "$TMP/port" "$TMP/counts" 4 &
COUNTER=$!
for _ in $(seq 50); do [[ -s $TMP/port ]] && break; sleep 0.1; done
port=$(cat "$TMP/port")
seq 1 12 | sed 's/^/line /' >"$TMP/in"
rc=0
tc --clone 4 --json 127.0.0.1 "$port" <"$TMP/in" >"$TMP/a.out" 2>"$TMP/a.err" || rc=$?
[[ $rc == 0 ]] || { show_file stderr "$TMP/a.err"; fail "a) taps-cat --clone 4 exit $rc, expected 0"; }
wait_rc "$COUNTER"
[[ $RC == 0 ]] || fail "a) the python3 peer exit $RC"
assert_file_eq $'4 3 3 3 3\n' "$TMP/counts" "a) connections and lines per connection at the peer"
sort -V "$TMP/a.out" >"$TMP/a.sorted"
if ! cmp -s "$TMP/in" "$TMP/a.sorted"; then
  show_file stdout "$TMP/a.out"
  fail "a) stdout does not hold every line once"
fi
assert_eq 4 "$(count_events "$TMP/a.err" ready)" "a) ready events"
assert_eq 4 "$(count_events "$TMP/a.err" closed)" "a) closed events"
groups=$(python3 - "$TMP/a.err" <<'PY'
import json, sys
groups = set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") in ("ready", "closed"):
        groups.add(e.get("group"))
print(" ".join(str(g) for g in sorted(groups, key=str)))
PY
)
[[ $groups =~ ^[0-9]+$ ]] || { show_file stderr "$TMP/a.err"; fail "a) events name more than one group, or none: '$groups'"; }
note "a) 4 connections of group $groups, 3 lines each: ok"

# --- b) bad counts and combinations are usage errors ----------------------------------
for args in "--clone 0 127.0.0.1 9" "--clone x 127.0.0.1 9" "--clone 2 -l 127.0.0.1 0" "--clone 2 -z 127.0.0.1 9"; do
  rc=0
  # shellcheck disable=SC2086 # the arguments are meant to split
  tc $args </dev/null >/dev/null 2>"$TMP/b.err" || rc=$?
  [[ $rc == 1 ]] || { show_file stderr "$TMP/b.err"; fail "b) taps-cat $args: exit $rc, expected 1"; }
  grep -q -- "--clone" "$TMP/b.err" || { show_file stderr "$TMP/b.err"; fail "b) taps-cat $args: the error does not name --clone"; }
done
help=$("$TAPS_CAT" --help)
[[ $help == *"--clone N"* ]] || fail "b) --help does not teach --clone"
note "b) usage errors: ok"
