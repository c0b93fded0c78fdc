#!/usr/bin/env bash
# Plain TCP between pipes, or from a regular file on stdin, moves the bytes in the kernel
# (splice(2), sendfile(2)): still every byte in order, the end of each direction where
# it belongs, and a clean stop when stdout's reader goes away.
#   1. pipe -> taps-cat -> taps-cat -l -> pipe, TAPS_SPLICE_SIZE (1G) of pseudo-random bytes
#   2. a file of odd size on stdin, both directions (client sends; listener sends)
#   3. half-close with pipes on both sides: our FIN after stdin's end, the peer's data after
#   4. stdout's reader exits early: taps-cat ends (exit 3, "cannot write output"), no hang
#   5. (with strace) the bytes went through splice/sendfile, not read/write
source "$(dirname "$0")/lib.sh"
need_cmd socat python3 sha256sum openssl

SIZE=${TAPS_SPLICE_SIZE:-1G}
TAPS_TIMEOUT=${TAPS_TIMEOUT:-120}
BYTES=$(numfmt --from=iec "$SIZE")

# Deterministic pseudo-random bytes (AES-CTR of zeros), fast enough for a GiB.
gen() {
  head -c "$1" /dev/zero |
    openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv 0 2>/dev/null
}

# listen_bg OUT_SUM ERR [STDIN]: taps-cat -l on 127.0.0.1 whose stdout is a pipe into
# sha256sum; sets LPID and LPORT.
listen_bg() {
  local sum=$1 err=$2 in=${3:-/dev/null}
  { tc -l 127.0.0.1 0 --json <"$in" 2>"$err" | sha256sum >"$sum"; } &
  LPID=$!
  LPORT=$(wait_for_listen_port "$err")
}

closed_field() { sed -n -E "s/.*\"event\":\"closed\".*\"$1\":([0-9]+).*/\1/p" "$2" | tail -n1; }

# --- 1. pipes both ends, SIZE bytes ------------------------------------------------------
t0=$(now_ms)
expected=$(gen "$BYTES" | sha256sum)
listen_bg "$TMP/1.sum" "$TMP/1.lerr"
rc=0
gen "$BYTES" | tc --json 127.0.0.1 "$LPORT" 2>"$TMP/1.cerr" | sha256sum >"$TMP/1.csum" || rc=$?
[[ $rc == 0 ]] || { show_file "client stderr" "$TMP/1.cerr"; fail "1) pipe -> pipe: client exit $rc"; }
wait_rc "$LPID"
[[ $RC == 0 ]] || { show_file "listener stderr" "$TMP/1.lerr"; fail "1) pipe -> pipe: listener exit $RC"; }
assert_eq "$expected" "$(cat "$TMP/1.sum")" "1) sha256 of what the listener wrote to its stdout pipe"
assert_eq "$BYTES" "$(closed_field bytes_sent "$TMP/1.cerr")" "1) client closed.bytes_sent"
assert_eq "$BYTES" "$(closed_field bytes_received "$TMP/1.lerr")" "1) listener closed.bytes_received"
note "1) $SIZE pipe -> taps-cat -> taps-cat -l -> pipe: ok ($(($(now_ms) - t0)) ms)"

# --- 2. a regular file of odd size on stdin, both directions ----------------------------
gen 50000017 >"$TMP/odd"
odd_sum=$(sha256sum <"$TMP/odd")
listen_bg "$TMP/2a.sum" "$TMP/2a.lerr"
rc=0
tc 127.0.0.1 "$LPORT" <"$TMP/odd" >/dev/null 2>"$TMP/2a.cerr" || rc=$?
[[ $rc == 0 ]] || { show_file "client stderr" "$TMP/2a.cerr"; fail "2a) file -> pipe: client exit $rc"; }
wait_rc "$LPID"
[[ $RC == 0 ]] || { show_file "listener stderr" "$TMP/2a.lerr"; fail "2a) file -> pipe: listener exit $RC"; }
assert_eq "$odd_sum" "$(cat "$TMP/2a.sum")" "2a) file on the client's stdin"
# The listener sends its stdin file; the client's stdout is a pipe. A shell's offset
# into the file is honoured: the first 17 bytes were read before taps-cat started.
{ head -c 17 >/dev/null; tc -l 127.0.0.1 0 --json 2>"$TMP/2b.lerr" >/dev/null; } <"$TMP/odd" &
LPID=$!
LPORT=$(wait_for_listen_port "$TMP/2b.lerr")
rc=0
tc --json 127.0.0.1 "$LPORT" </dev/null 2>"$TMP/2b.cerr" | sha256sum >"$TMP/2b.sum" || rc=$?
[[ $rc == 0 ]] || { show_file "client stderr" "$TMP/2b.cerr"; fail "2b) file -> pipe: client exit $rc"; }
wait_rc "$LPID"
[[ $RC == 0 ]] || { show_file "listener stderr" "$TMP/2b.lerr"; fail "2b) file -> pipe: listener exit $RC"; }
assert_eq "$(tail -c +18 "$TMP/odd" | sha256sum)" "$(cat "$TMP/2b.sum")" "2b) listener's stdin file from offset 17"
assert_eq $((50000017 - 17)) "$(closed_field bytes_received "$TMP/2b.cerr")" "2b) client closed.bytes_received"
note "2) odd-sized file on stdin, both directions: ok"

# --- 3. half-close with pipes on both sides ---------------------------------------------
start_socat_listener -t 5 TCP-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr \
  SYSTEM:'cat; sleep 1; echo bye' </dev/null >/dev/null
t0=$(now_ms)
rc=0
printf hello | tc 127.0.0.1 "$SOCAT_PORT" 2>"$TMP/3.err" | cat >"$TMP/3.out" || rc=$?
elapsed=$(($(now_ms) - t0))
[[ $rc == 0 ]] || { show_file "taps-cat stderr" "$TMP/3.err"; fail "3) taps-cat exit $rc"; }
assert_file_eq $'hellobye\n' "$TMP/3.out" "3) taps-cat stdout (a pipe)"
((elapsed >= 900)) || fail "3) taps-cat exited after ${elapsed} ms, before the peer closed (>= 1000 ms)"
wait_rc "$SOCAT_PID"
note "3) half-close, pipes both sides: ok (${elapsed} ms)"

# --- 4. stdout's reader goes away ------------------------------------------------------
start_socat_listener -u OPEN:/dev/zero TCP-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr </dev/null >/dev/null
rc=0
fifo_from sleep 30
set +o pipefail
tc 127.0.0.1 "$SOCAT_PORT" <"$FIFO" 2>"$TMP/4.err" | head -c 100000 >/dev/null
rc=${PIPESTATUS[0]}
set -o pipefail
[[ $rc == 3 ]] || { show_file "taps-cat stderr" "$TMP/4.err"; fail "4) taps-cat exit $rc after its stdout's reader left, expected 3"; }
grep -q "cannot write output" "$TMP/4.err" || { show_file "taps-cat stderr" "$TMP/4.err"; fail "4) no 'cannot write output' on stderr"; }
note "4) stdout's reader gone: exit 3: ok"

# --- 5. the kernel moved the bytes ------------------------------------------------------
if command -v strace >/dev/null 2>&1; then
  listen_bg "$TMP/5.sum" "$TMP/5.lerr"
  # LeakSanitizer cannot run under ptrace: an ASan build would fail at exit.
  ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=splice,sendfile -o "$TMP/5.trace" \
    "$TAPS_CAT" 127.0.0.1 "$LPORT" <"$TMP/odd" 2>"$TMP/5.cerr" | cat >/dev/null
  wait_rc "$LPID"
  grep -q '^[0-9]* *sendfile(' "$TMP/5.trace" || { show_file "strace" "$TMP/5.trace"; fail "5) no sendfile from a file on stdin"; }
  grep -q '^[0-9]* *splice(' "$TMP/5.trace" || { show_file "strace" "$TMP/5.trace"; fail "5) no splice into a stdout pipe"; }
  assert_eq "$odd_sum" "$(cat "$TMP/5.sum")" "5) bytes under strace"
  note "5) sendfile and splice seen: ok"
fi

echo "PASS"
