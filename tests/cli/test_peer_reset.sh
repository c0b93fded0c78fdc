#!/usr/bin/env bash
# A peer that resets the connection while taps-cat is sending (issue 16 item 16): exit 3
# with a message. Before the fix the session leaked (the loop stopped before the
# Connection's last event could drop its handlers), and under ASan LeakSanitizer turned
# exit 3 into 1; this test runs in the ASan build, so the leak fails it.
source "$(dirname "$0")/lib.sh"
need_cmd python3

cat >"$TMP/rst.py" <<'PY'
import socket, struct, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
got = 0
while got < 4 << 20:
    b = c.recv(65536)
    if not b: break
    got += len(b)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
time.sleep(1)
PY
for framer in "" "--framer lp"; do
  python3 "$TMP/rst.py" >"$TMP/port" &
  server=$!
  for _ in $(seq 50); do [[ -s $TMP/port ]] && break; sleep 0.1; done
  rc=0
  # shellcheck disable=SC2086 # $framer is empty or two words
  yes 0123456789abcdef | tc $framer 127.0.0.1 "$(cat "$TMP/port")" >/dev/null 2>"$TMP/c.err" || rc=$?
  wait "$server" || true
  rm -f "$TMP/port"
  [[ $rc == 3 ]] || { show_file "taps-cat stderr" "$TMP/c.err"; fail "reset while sending (${framer:-bytes}): exit $rc, expected 3"; }
  grep -qiE 'reset|broken pipe' "$TMP/c.err" || { show_file "taps-cat stderr" "$TMP/c.err"; fail "no error naming the reset"; }
  ! grep -q LeakSanitizer "$TMP/c.err" || { show_file "taps-cat stderr" "$TMP/c.err"; fail "leak after the reset"; }
  note "reset while sending (${framer:-bytes}): exit 3, no leak: ok"
done
echo PASS
