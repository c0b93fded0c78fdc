#!/usr/bin/env bash
# taps-cat --rendezvous (RFC 9622 7.3 Rendezvous) between two namespaces: both sides run
# `--rendezvous -p P HOST P`, in either order a second apart or together, and get one
# connection with every byte both ways; UDP too; and the errors a user can make.
source "$(dirname "$0")/lib.sh"
need_root
netns_pair rdvA rdvB 10.98.0.1 10.98.0.2
head -c 300000 /dev/urandom >"$TMP/A.in"
head -c 200000 /dev/urandom >"$TMP/B.in"

# meet FIRST SECOND GAP PORT: FIRST starts, SECOND GAP seconds later; both must exit 0
# with the other's bytes on stdout, having announced rendezvous_done.
meet() {
  local first=$1 second=$2 gap=$3 port=$4 pid_first pid_second rc_first rc_second side
  declare -A ns=([A]=$NS_A [B]=$NS_B) peer=([A]=10.98.0.2 [B]=10.98.0.1)
  ip netns exec "${ns[$first]}" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" --json --rendezvous -p "$port" \
    "${peer[$first]}" "$port" <"$TMP/$first.in" >"$TMP/$first.out" 2>"$TMP/$first.err" &
  pid_first=$!
  sleep "$gap"
  ip netns exec "${ns[$second]}" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" --json --rendezvous -p "$port" \
    "${peer[$second]}" "$port" <"$TMP/$second.in" >"$TMP/$second.out" 2>"$TMP/$second.err" &
  pid_second=$!
  wait_rc "$pid_first"
  rc_first=$RC
  wait_rc "$pid_second"
  rc_second=$RC
  for side in A B; do
    local rc=$rc_first other=B
    [[ $side == "$second" ]] && rc=$rc_second
    [[ $side == B ]] && other=A
    [[ $rc == 0 ]] || { show_file "$side stderr" "$TMP/$side.err"; fail "$first then $second (${gap}s): $side exit $rc"; }
    cmp -s "$TMP/$other.in" "$TMP/$side.out" ||
      fail "$first then $second (${gap}s): $side got $(wc -c <"$TMP/$side.out") bytes, not the $(wc -c <"$TMP/$other.in") $other sent"
    grep -q "\"event\":\"rendezvous_done\".*\"remote\":\"${peer[$side]}:$port\".*\"local\":\"${peer[$other]}:$port\".*\"stack\":\"tcp\"" \
      "$TMP/$side.err" || { show_file "$side stderr" "$TMP/$side.err"; fail "$side: no rendezvous_done event"; }
  done
  note "$first then $second (${gap}s) on port $port: both exit 0, bytes intact both ways"
}

# A fresh port per case: a connection of the one before may still be in TIME_WAIT.
meet A B 1 6000
meet B A 1 6001
meet A B 0 6002

# UDP: bound and connected at once; each side sends a few seconds after it started,
# when the other is up, and keeps receiving for -w 3 s after its stdin ends.
fifo_from sh -c 'sleep 3; printf "datagram from A\n"'
ip netns exec "$NS_A" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" --json --udp -w 3 --rendezvous -p 6003 10.98.0.2 6003 \
  <"$FIFO" >"$TMP/ua.out" 2>"$TMP/ua.err" &
pid_a=$!
sleep 1
fifo_from sh -c 'sleep 3; printf "datagram from B\n"'
ip netns exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" --json --udp -w 3 --rendezvous -p 6003 10.98.0.1 6003 \
  <"$FIFO" >"$TMP/ub.out" 2>"$TMP/ub.err" &
pid_b=$!
wait_rc "$pid_a"
[[ $RC == 0 ]] || { show_file "A stderr" "$TMP/ua.err"; fail "UDP: A exit $RC"; }
wait_rc "$pid_b"
[[ $RC == 0 ]] || { show_file "B stderr" "$TMP/ub.err"; fail "UDP: B exit $RC"; }
assert_eq "datagram from B" "$(cat "$TMP/ua.out")" "UDP: what A received"
assert_eq "datagram from A" "$(cat "$TMP/ub.out")" "UDP: what B received"
grep -q '"event":"rendezvous_done".*"remote":"10.98.0.2:6003".*"stack":"udp"' "$TMP/ua.err" ||
  { show_file "A stderr" "$TMP/ua.err"; fail "UDP: no rendezvous_done event"; }
note "UDP: one datagram each way, both exit 0"

# Errors: exit code (README's table) and the reason on stderr.
expect_error() {
  local want_rc=$1 want_text=$2 rc=0
  shift 2
  ip netns exec "$NS_A" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" "$@" </dev/null >"$TMP/err.out" 2>"$TMP/err.err" || rc=$?
  assert_eq "$want_rc" "$rc" "exit code of taps-cat $*"
  grep -qF -- "$want_text" "$TMP/err.err" || { show_file stderr "$TMP/err.err"; fail "taps-cat $*: no '$want_text' on stderr"; }
}
expect_error 1 "--rendezvous needs -p LOCALPORT" --rendezvous 10.98.0.2 6004
expect_error 1 "not --tls or --quic" --rendezvous --tls -p 6004 10.98.0.2 6004
expect_error 1 "without -l" --rendezvous -l 6004
expect_error 1 "Rendezvous over tls/tcp is not supported" --rendezvous --protocols tls,tcp -p 6004 10.98.0.2 6004
# Nobody at the other end: the timeout ends it (exit 4), after having retried.
start=$(now_ms)
expect_error 4 "no rendezvous within 700 ms" --rendezvous --timeout 0.7 -p 6004 10.98.0.2 6004
elapsed=$(($(now_ms) - start))
((elapsed >= 700)) || fail "the rendezvous gave up after $elapsed ms, before its 700 ms timeout"
echo PASS
