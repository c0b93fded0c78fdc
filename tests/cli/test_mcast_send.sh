#!/usr/bin/env bash
# taps-mcast-send between two namespaces: a --seq u32 stream at 10k and 100k pps reaches
# taps-mcast-recv whole, at the asked rate, with the loss it reports equal to what the
# kernel counted; --seq iperf2 is read by iperf2's own server; --loopback lets a
# receiver on the sending host hear it (and without it nothing arrives).
source "$(dirname "$0")/lib.sh"
need_root
need_cmd iperf python3
netns_pair sndA sndB 10.99.20.1 10.99.20.2
group=232.99.20.1
port=5020

# stream RATE COUNT [PERCENT]: send COUNT datagrams at RATE and check the accounting
# against the kernel's counters in B: every datagram sent was either read by the receiver
# or dropped at its full socket (RcvbufErrors), and the loss it reports is those drops.
# With PERCENT, the achieved rate (sender's and receiver's) must be within PERCENT %; a
# miss is left in RATE_MISS for the caller, the rest fails at once.
stream() {
  local rate=$1 count=$2 percent=${3:-}
  local in_before drops_before
  in_before=$(udp_counter "$NS_B" InDatagrams)
  drops_before=$(udp_counter "$NS_B" RcvbufErrors)
  mcast_recv "$NS_B" -s 10.99.20.1 "$group" "$port" -t 15 -o none --seq u32 --json \
    >/dev/null 2>"$TMP/rx.$rate.err" &
  local rx=$!
  wait_for_event "$TMP/rx.$rate.err" join 1 "$rx"
  mcast_sender "$NS_A" -i veth0 --source 10.99.20.1 --rate "$rate" -c "$count" --seq u32 --json \
    "$group" "$port" 2>"$TMP/tx.$rate.err" || { show_file "sender" "$TMP/tx.$rate.err"; fail "taps-mcast-send exited $?"; }
  # The receiver has read what it will read once it stops growing; SIGINT ends it.
  sleep 1
  local p
  for p in $(_descendants_of "$rx"); do kill -INT "$p" 2>/dev/null || true; done
  wait_rc "$rx"
  [[ $RC == 130 || $RC == 0 ]] || { show_file "receiver" "$TMP/rx.$rate.err"; fail "receiver exited $RC at $rate pps"; }
  local packets lost pps sent sent_pps in_after drops
  packets=$(json_field "$TMP/rx.$rate.err" stats packets)
  lost=$(json_field "$TMP/rx.$rate.err" stats lost)
  pps=$(json_field "$TMP/rx.$rate.err" stats pps)
  sent=$(json_field "$TMP/tx.$rate.err" sent packets)
  sent_pps=$(json_field "$TMP/tx.$rate.err" sent pps)
  in_after=$(udp_counter "$NS_B" InDatagrams)
  drops=$(($(udp_counter "$NS_B" RcvbufErrors) - drops_before))
  assert_eq "$count" "$sent" "packets sent at $rate pps"
  assert_eq 0 "$(json_field "$TMP/tx.$rate.err" sent errors)" "send errors at $rate pps"
  assert_eq "$((in_after - in_before))" "$packets" "packets read vs the kernel's InDatagrams at $rate pps"
  assert_eq "$count" "$((packets + drops))" "packets read + dropped (RcvbufErrors) vs sent at $rate pps"
  # Sequence numbers see every drop but those after the last datagram read.
  ((lost <= drops && (drops == 0) == (lost == 0))) || fail "reported loss $lost does not match the kernel's $drops drops"
  # The receiver names the drops it measured at its socket.
  if ((drops > 0)); then
    assert_eq "$drops" "$(json_field "$TMP/rx.$rate.err" hint socket_drops)" "socket drops named by the receiver's hint"
  fi
  RATE_MISS=
  if [[ -n $percent ]]; then
    within_percent "$sent_pps" "$rate" "$percent" || RATE_MISS="sender's achieved rate $sent_pps pps is not within $percent % of $rate"
    within_percent "$pps" "$rate" "$percent" || RATE_MISS+="${RATE_MISS:+; }received rate $pps pps is not within $percent % of $rate"
  fi
  note "$rate pps asked: $sent sent at $sent_pps pps, $packets read at $pps pps, lost $lost, kernel drops $drops"
}

# 2 %, not 1 %: a sanitizer build on a shared 2-core machine. The 1 % figure is measured
# by scripts/bench/mcast-send.sh on the release build.
# A pacer that gets no CPU falls behind whatever its code does (seen at load 7 on this
# machine: 8496 pps): a miss is measured once more, and the second run must hold.
stream 10000 20000 2
if [[ -n $RATE_MISS ]]; then
  note "rate missed ($RATE_MISS, load $(cut -d' ' -f1 /proc/loadavg)): measuring once more"
  stream 10000 20000 2
  [[ -z $RATE_MISS ]] || fail "$RATE_MISS"
fi
assert_json_golden taps-mcast-send "$TMP/tx.10000.err"
# 100k pps is beyond a sanitizer build here (about 15 us of CPU per datagram): the
# stream goes as fast as it can, and the accounting must still be exact.
stream 100000 100000

# --- iperf2's server reads the --seq iperf2 stream (SSM, -H) without loss -------------
ns_exec "$NS_B" timeout 20 iperf -s -u -B "$group" -H 10.99.20.1 -p "$port" -i 1 -l 2000 >"$TMP/iperf.out" 2>&1 &
iperf_pid=$!
for _ in $(seq 50); do grep -q "listening\|Server listening" "$TMP/iperf.out" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
mcast_sender "$NS_A" -i veth0 --source 10.99.20.1 --rate 1000 -c 2000 --seq iperf2 "$group" "$port" \
  2>"$TMP/tx.iperf.err" || { show_file "sender" "$TMP/tx.iperf.err"; fail "taps-mcast-send --seq iperf2 failed"; }
for _ in $(seq 50); do grep -Eq ' 0/2000 ' "$TMP/iperf.out" && break; sleep 0.1; done
kill_tree "$iperf_pid"
grep -Eq ' 0/2000 \(0%\)' "$TMP/iperf.out" || { show_file "iperf -s -u" "$TMP/iperf.out"; fail "iperf2 did not report 0/2000 lost/total"; }
note "iperf -s -u -H: 0/2000 lost: ok"

# --- one host: without --loopback nothing arrives, with it everything ------------------
mcast_recv "$NS_B" 239.99.20.9 "$port" -c 50 -o none -t 2 --json >/dev/null 2>"$TMP/lo0.err" &
rx=$!
wait_for_event "$TMP/lo0.err" join 1 "$rx"
mcast_sender "$NS_B" --rate 1000 -c 50 239.99.20.9 "$port" 2>/dev/null
wait_rc "$rx"
assert_eq 4 "$RC" "receiver on the sending host without --loopback (nothing arrives)"
mcast_recv "$NS_B" 239.99.20.9 "$port" -c 50 -o none --json >/dev/null 2>"$TMP/lo1.err" &
rx=$!
wait_for_event "$TMP/lo1.err" join 1 "$rx"
mcast_sender "$NS_B" --loopback --rate 1000 -c 50 239.99.20.9 "$port" 2>"$TMP/lo1.tx.err"
wait_rc "$rx"
[[ $RC == 0 ]] || { show_file "receiver" "$TMP/lo1.err"; fail "with --loopback the receiver on the sending host exited $RC"; }
grep -q "sent 50 packets" "$TMP/lo1.tx.err" || { show_file "sender" "$TMP/lo1.tx.err"; fail "no summary line from the sender"; }
note "--loopback: ok"

# --- --from-stdin: each line a datagram (--lines), or each read of a file, byte-exact -----
mcast_recv "$NS_B" -s 10.99.20.1 "$group" "$port" -c 3 -o lines --json >"$TMP/lines.out" 2>"$TMP/lines.err" &
rx=$!
wait_for_event "$TMP/lines.err" join 1 "$rx"
printf 'one\ntwo\nthree' | mcast_sender "$NS_A" --source 10.99.20.1 --from-stdin --lines "$group" "$port" 2>/dev/null
wait_rc "$rx"
assert_eq 0 "$RC" "receiver of --from-stdin --lines"
assert_file_eq $'one\ntwo\nthree\n' "$TMP/lines.out" "--from-stdin --lines"
head -c 120000 /dev/urandom >"$TMP/data"
mcast_recv "$NS_B" -s 10.99.20.1 "$group" "$port" -c 100 -o raw --json >"$TMP/data.out" 2>"$TMP/data.err" &
rx=$!
wait_for_event "$TMP/data.err" join 1 "$rx"
mcast_sender "$NS_A" --source 10.99.20.1 --from-stdin --rate 2000 "$group" "$port" <"$TMP/data" 2>/dev/null
wait_rc "$rx"
assert_eq 0 "$RC" "receiver of --from-stdin"
assert_same_sha256 "$TMP/data" "$TMP/data.out" "--from-stdin, 100 datagrams of 1200 bytes"
note "--from-stdin: ok"
echo PASS
