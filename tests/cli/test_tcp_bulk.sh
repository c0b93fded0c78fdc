#!/usr/bin/env bash
# Bulk TCP over loopback: nothing lost, nothing reordered, exit 0 on both ends.
#   taps-cat -> socat, socat -> taps-cat -l, taps-cat -> taps-cat -l over ::1;
#   stdin from a regular file and from a pipe.
source "$(dirname "$0")/lib.sh"
need_cmd socat python3 ss sha256sum

SIZE=${TAPS_BULK_SIZE:-64M}
head -c "$SIZE" /dev/urandom >"$TMP/f"

# --- 1. taps-cat -> socat (stdin: regular file, then pipe) ---------------------------
for mode in file pipe; do
  t0=$(now_ms)
  start_socat_listener -u TCP-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr STDOUT \
    >"$TMP/socat.out" </dev/null
  rc=0
  if [[ $mode == file ]]; then
    tc 127.0.0.1 "$SOCAT_PORT" <"$TMP/f" >"$TMP/client.out" 2>"$TMP/client.err" || rc=$?
  else
    # shellcheck disable=SC2002 # the point is a pipe on stdin
    cat "$TMP/f" | tc 127.0.0.1 "$SOCAT_PORT" >"$TMP/client.out" 2>"$TMP/client.err" || rc=$?
  fi
  [[ $rc == 0 ]] || { show_file "taps-cat stderr" "$TMP/client.err"; fail "taps-cat -> socat ($mode): taps-cat exit $rc"; }
  wait_rc "$SOCAT_PID"; src=$RC
  [[ $src == 0 ]] || { show_file "socat stderr" "$TMP/socat.$SOCAT_PORT.err"; fail "taps-cat -> socat ($mode): socat exit $src"; }
  assert_same_sha256 "$TMP/f" "$TMP/socat.out" "taps-cat -> socat ($mode)"
  [[ ! -s $TMP/client.out ]] || fail "taps-cat -> socat ($mode): unexpected bytes on taps-cat stdout"
  note "taps-cat -> socat ($mode): ok ($(( $(now_ms) - t0 )) ms)"
done

# --- 2. socat -> taps-cat -l ----------------------------------------------------------
tc -l 127.0.0.1 0 --json >"$TMP/listener.out" 2>"$TMP/listener.err" </dev/null &
lpid=$!
port=$(wait_for_listen_port "$TMP/listener.err" "$lpid")
t0=$(now_ms)
rc=0
tsocat -u OPEN:"$TMP/f",rdonly TCP:127.0.0.1:"$port" 2>"$TMP/socat-send.err" || rc=$?
[[ $rc == 0 ]] || { show_file "socat stderr" "$TMP/socat-send.err"; fail "socat -> taps-cat -l: socat exit $rc"; }
wait_rc "$lpid"; lrc=$RC
[[ $lrc == 0 ]] || { show_file "listener stderr" "$TMP/listener.err"; fail "socat -> taps-cat -l: taps-cat exit $lrc"; }
assert_same_sha256 "$TMP/f" "$TMP/listener.out" "socat -> taps-cat -l"
assert_json_golden taps-cat-listen "$TMP/listener.err"
note "socat -> taps-cat -l: ok ($(( $(now_ms) - t0 )) ms)"

# --- 3. taps-cat -> taps-cat -l over ::1 (stdin: regular file, then pipe) ------------
need_ipv6_loopback
for mode in file pipe; do
  # Fresh file names: the background job truncates its files only once it runs, so a
  # reused name could still show the previous listener's "listening" line.
  lout="$TMP/listener6-$mode.out" lerr="$TMP/listener6-$mode.err"
  tc -l ::1 0 --json >"$lout" 2>"$lerr" </dev/null &
  lpid=$!
  port=$(wait_for_listen_port "$lerr" "$lpid")
  t0=$(now_ms)
  rc=0
  if [[ $mode == file ]]; then
    tc --json ::1 "$port" <"$TMP/f" >"$TMP/client.out" 2>"$TMP/client.err" || rc=$?
  else
    # shellcheck disable=SC2002 # the point is a pipe on stdin
    cat "$TMP/f" | tc ::1 "$port" >"$TMP/client.out" 2>"$TMP/client.err" || rc=$?
  fi
  [[ $rc == 0 ]] || { show_file "client stderr" "$TMP/client.err"; fail "taps-cat -> taps-cat ::1 ($mode): client exit $rc"; }
  wait_rc "$lpid"; lrc=$RC
  [[ $lrc == 0 ]] || { show_file "listener stderr" "$lerr"; fail "taps-cat -> taps-cat ::1 ($mode): listener exit $lrc"; }
  assert_same_sha256 "$TMP/f" "$lout" "taps-cat -> taps-cat ::1 ($mode)"
  [[ ! -s $TMP/client.out ]] || fail "taps-cat -> taps-cat ::1 ($mode): unexpected bytes on client stdout"
  [[ $mode == file ]] && assert_json_golden taps-cat-connect "$TMP/client.err"
  grep -q '"local" *: *"\[::1\]:' "$lerr" ||
    { show_file "listener stderr" "$lerr"; fail "listening event on ::1 should have local \"[::1]:PORT\""; }
  note "taps-cat -> taps-cat -l ::1 ($mode): ok ($(( $(now_ms) - t0 )) ms)"
done

echo "PASS"
