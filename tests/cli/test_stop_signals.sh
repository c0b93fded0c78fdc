#!/usr/bin/env bash
# A stop signal ends taps-cat promptly even while stdout is blocked (issue 16 item 4):
# the first signal leaves at most 2 s to flush what arrived, a second one stops at once.
source "$(dirname "$0")/lib.sh"
need_cmd python3

# stalled_listener NAME [OPTION...]: taps-cat -l whose stdout is a pipe nobody reads, fed
# 16 MiB by a client; sets PID to taps-cat's own pid once its stdout is full.
stalled_listener() {
  local name=$1
  shift
  mkfifo "$TMP/$name.pipe"
  # The reader opens the pipe and never reads from it.
  sleep 60 <"$TMP/$name.pipe" &
  "$TAPS_CAT" -l "$@" 127.0.0.1 0 --json >"$TMP/$name.pipe" 2>"$TMP/$name.err" </dev/null &
  PID=$!
  local port
  port=$(wait_for_listen_port "$TMP/$name.err" "$PID")
  head -c 16777216 /dev/zero | "$TAPS_CAT" 127.0.0.1 "$port" >/dev/null 2>/dev/null &
  sleep 1
}

stalled_listener one
start=$(now_ms)
kill -TERM "$PID"
wait_rc "$PID"
took=$(($(now_ms) - start))
assert_eq 143 "$RC" "exit code after SIGTERM with stdout blocked"
((took < 6000)) || fail "SIGTERM took $took ms to end taps-cat with a blocked stdout"
note "one SIGTERM, stdout blocked: exit 143 after $took ms: ok"

# With bytes held in taps-cat itself (-w keeps them out of the kernel's splice path, where
# nothing waits in the process and the first signal ends it at once), the first SIGINT
# starts the 2 s flush and the second one cuts it short.
stalled_listener two -w 60
start=$(now_ms)
kill -INT "$PID"
sleep 0.2
kill -INT "$PID"
wait_rc "$PID"
took=$(($(now_ms) - start))
assert_eq 130 "$RC" "exit code after two SIGINTs"
((took < 1500)) || fail "a second SIGINT did not stop taps-cat at once ($took ms)"
note "two SIGINTs: exit 130 after $took ms: ok"
echo PASS
