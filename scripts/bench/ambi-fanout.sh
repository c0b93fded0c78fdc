#!/usr/bin/env bash
# ambi-manifest-send fan-out: how far behind the first verifier the others get a
# manifest, for N verifiers of one ambi+tls server (issue 17 item 5).
#
#   - ambi-manifest-send --originate in namespace A streams 1200-byte datagrams at RATE
#     pps (--digests-per-manifest 64, --manifest-interval 100: about 8 manifests/s)
#     once N verifiers are connected (--wait-verifiers N)
#   - in namespace B, scripts/bench/ambi-fanout-reader.c (epoll, non-blocking OpenSSL,
#     one process) holds N TLS connections to it and notes when each manifest arrived
#     whole on each: the lag of a manifest at a reader is its arrival there minus its
#     first arrival at any reader; percentiles over every (manifest, reader) pair, and
#     the pairs missing (a manifest some reader never got)
#   - the sender's CPU while streaming (utime + stime from /proc, handshakes excluded):
#     the share of one core the fan-out costs; and the share of that time it waited,
#     runnable, for a CPU (schedstat run delay): the machine's load, not the sender
#
# The readers share the machine's cores with the sender: their own scheduling is in the
# lag too (a reader process that falls behind shows as lag). Load is printed.
#
# Environment: BUILD_DIR (default build/release), READERS (default "1000 5000 10000"),
#              RATE (default 500), DURATION (default 10), RUNS (default 1),
#              SENDER (default: the build's ambi-manifest-send), SENDER_ARGS (extra options).
source "$(dirname "$0")/common.sh"
need_root
need_cmd cc

AMBI_SEND=${SENDER:-$BUILD_DIR/ambi-tools/ambi-manifest-send/ambi-manifest-send}
[[ -x $AMBI_SEND ]] || (cd "$BENCH_ROOT" && cmake --build "$BUILD_DIR" -j2 --target ambi-manifest-send >&2)
READERS=${READERS:-1000 5000 10000}
RATE=${RATE:-500}
DURATION=${DURATION:-10}
RUNS=${RUNS:-1}
S=10.99.9.1
G=232.99.9.1

cc -O2 -o "$TMP/reader" "$BENCH_ROOT/scripts/bench/ambi-fanout-reader.c" -lssl -lcrypto ||
  fail "cannot build the reader (libssl-dev?)"
netns_pair ambifA ambifB "$S" 10.99.9.2
"$BENCH_ROOT/scripts/gen-certs" "$TMP/certs" "$S" >/dev/null 2>&1
for ns in "$NS_A" "$NS_B"; do
  ip netns exec "$ns" sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096 \
    net.ipv4.ip_local_port_range="10000 65000"
done

# cpu_ticks PID: utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# run_wait_ns PID: how long the process's main thread waited for a CPU while runnable
# (schedstat run delay): a sender that waits shows its load, not its own cost, as lag.
run_wait_ns() { awk '{ print $2 }' "/proc/$1/task/$1/schedstat" 2>/dev/null || echo 0; }

# run N: one measurement; prints the reader's result line and the sender's CPU share.
run() {
  local n=$1 port=$((4433 + RANDOM % 1000))
  # shellcheck disable=SC2086 # SENDER_ARGS: words on purpose
  { head -c $((RATE * DURATION * 1200)) /dev/zero |
      openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass pass:ambi-fanout 2>/dev/null; } |
    ns_exec "$NS_A" "$AMBI_SEND" --originate -s "$S" -g "$G" -p 5009 --listen "$S:$port" \
      --cert "$TMP/certs/server.pem" --key "$TMP/certs/server.key" --rate "$RATE" \
      --digests-per-manifest 64 --manifest-interval 100 --wait-verifiers "$n" --max-verifiers "$n" \
      --linger 2 ${SENDER_ARGS:-} --json >/dev/null 2>"$TMP/send.err" &
  local sender=$! spid=""
  while [[ -z $spid ]]; do
    for p in $(_descendants_of "$sender"); do
      [[ $(cat "/proc/$p/comm" 2>/dev/null) == ambi-manifest-s* ]] && spid=$p
    done
    sleep 0.05
  done
  wait_for_event "$TMP/send.err" listening 1 "$sender"
  ns_exec "$NS_B" "$TMP/reader" "$S" "$port" "$n" 32 $((DURATION + 60)) >"$TMP/reader.out" 2>"$TMP/reader.err" &
  local reader=$!
  local i
  for ((i = 0; i < 1200; i++)); do
    grep -q '^connected' "$TMP/reader.out" && break
    kill -0 "$reader" 2>/dev/null || break
    sleep 0.1
  done
  local c0 c1 t0 t1 w0 w1
  c0=$(cpu_ticks "$spid")
  w0=$(run_wait_ns "$spid")
  t0=$(date +%s.%N)
  sleep "$DURATION"
  c1=$(cpu_ticks "$spid")
  w1=$(run_wait_ns "$spid")
  t1=$(date +%s.%N)
  wait "$reader" || { cat "$TMP/reader.err" >&2; fail "reader failed"; }
  wait "$sender" 2>/dev/null || true
  local share
  share=$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.2f", (b - a) / hz / (t1 - t0) }')
  local waited
  waited=$(awk -v a="$w0" -v b="$w1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 / (t1 - t0) }')
  echo "$(grep '^readers' "$TMP/reader.out") sender_core_share $share sender_runqueue_wait_share $waited"
}

echo "ambi-fanout: $(build_type) build of $(basename "$AMBI_SEND"), $RATE pps, 64 digests/manifest, ${DURATION} s; load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $READERS; do
  for ((r = 0; r < RUNS; r++)); do
    printf '%6d verifiers: %s\n' "$n" "$(run "$n")"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
