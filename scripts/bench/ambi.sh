#!/usr/bin/env bash
# AMBI verification cost, same run, same data:
#
#   - the single-core SHA-256 limit for a 1200-byte packet and its 20-byte pseudoheader:
#     `openssl speed -evp sha256 -bytes 1220` (hashes/s)
#   - ambi-verify: packets verified per CPU-second (user + system, GNU time) while
#     ambi-manifest-send --originate streams 1200-byte datagrams over veth at RATE pps
#   - taps-mcast-recv on the same stream, without AMBI: packets per CPU-second
#   - RSS of ambi-verify at rest (manifest channel up, no datagram yet) and its peak
#     while verifying the stream above (the digest store fills to its held-digest bound)
#   - peak RSS of ambi-verify under a junk flood (forged with the sender's address and
#     port, so that every junk packet waits in the pending buffer), against its bound
#
# "Per CPU-second" is what one core would verify flat out; the sender and the receiver
# share this machine's cores, so a wall-clock rate would measure the sender too.
#
# Environment: BUILD_DIR (default build/release), RATE (default 100000), DURATION
#              (default 3), RUNS (default 3), BOUND (pending bytes, default 8388608),
#              VERIFIER (another ambi-verify binary, e.g. an older build to compare),
#              VERIFY_ARGS (extra ambi-verify options, e.g. "--workers 2"), PERF_DATA
#              (a path: the last ambi-verify run is recorded there with `perf record -g`).
source "$(dirname "$0")/common.sh"
ensure_pkg /usr/bin/time time
ensure_pkg openssl openssl
need_root

AMBI_SEND="$BUILD_DIR/ambi-tools/ambi-manifest-send/ambi-manifest-send"
AMBI_VERIFY=${VERIFIER:-$BUILD_DIR/ambi-tools/ambi-verify/ambi-verify}
TAPS_MCAST_RECV="$BUILD_DIR/apps/taps-mcast-recv/taps-mcast-recv"
for t in "$AMBI_SEND" "$AMBI_VERIFY" "$TAPS_MCAST_RECV"; do
  [[ -x $t ]] || (cd "$BENCH_ROOT" && cmake --build "$BUILD_DIR" -j2 --target ambi-manifest-send ambi-verify taps-mcast-recv >&2)
done
RATE=${RATE:-100000}
DURATION=${DURATION:-3}
RUNS=${RUNS:-3}
BOUND=${BOUND:-8388608}
S=10.99.8.1
G=232.99.8.1
P=5008
SPORT=40008

netns_pair ambibA ambibB "$S" 10.99.8.2
"$BENCH_ROOT/scripts/gen-certs" "$TMP/certs" "$S" >/dev/null 2>&1

# sha_limit: SHA-256 hashes of 1220 bytes per second on one core.
sha_limit() {
  openssl speed -evp sha256 -bytes 1220 -seconds 2 2>/dev/null |
    awk '/^sha256/ { v = $NF; sub(/k$/, "", v); printf "%d\n", v * 1000 / 1220 }'
}

# stream FILE: ambi-manifest-send --originate in A; its stdin (DURATION s at RATE) flows
# once FILE exists. Prints the number of packets it sent.
stream() {
  local wait_file=$1 packets=$((RATE * DURATION))
  # Distinct payloads (AES-CTR of zeros): equal payloads would share one digest.
  { while [[ ! -s $wait_file ]]; do sleep 0.05; done
    head -c $((packets * 1200)) /dev/zero | openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass pass:ambi-bench 2>/dev/null; } |
    ns_exec "$NS_A" "$AMBI_SEND" --originate -s "$S" -g "$G" -p "$P" --source-port "$SPORT" --listen "$S:4433" \
      --cert "$TMP/certs/server.pem" --key "$TMP/certs/server.key" --metadata-out "$TMP/stream.json" --rate "$RATE" \
      --digests-per-manifest 512 --json 2>"$TMP/send.err"
  json_field "$TMP/send.err" stats packets
}

# run TOOL: one measurement; prints "sent received cpu_s rss_kib".
run() {
  local tool=$1 rx cmd
  rm -f "$TMP/stream.json" "$TMP/rx.err" "$TMP/go"
  # The metadata is written as soon as the sender listens: start it, then the receiver.
  (stream "$TMP/go" >"$TMP/sent") &
  local sender=$!
  while [[ ! -s $TMP/stream.json ]]; do sleep 0.05; done
  case $tool in
    # --stats, not --json: a JSON line per verified packet would be measured too.
    ambi)
      # shellcheck disable=SC2206 # VERIFY_ARGS: words on purpose
      cmd=("$AMBI_VERIFY" --metadata "$TMP/stream.json" --ca "$TMP/certs/ca.pem" -o none --stats --max-pending-bytes "$BOUND" ${VERIFY_ARGS:-})
      if [[ -n ${PERF_DATA:-} ]]; then cmd=(perf record -q -g -F 4999 -o "$PERF_DATA" -- "${cmd[@]}"); fi ;;
    plain) cmd=("$TAPS_MCAST_RECV" -s "$S" "$G" "$P" -o none --json) ;;
  esac
  ns_exec "$NS_B" /usr/bin/time -f "%U %S %M" -o "$TMP/time" "${cmd[@]}" >/dev/null 2>"$TMP/rx.err" &
  rx=$!
  if [[ $tool == ambi ]]; then sleep 1; else wait_for_event "$TMP/rx.err" join 1 "$rx"; fi
  echo go >"$TMP/go"
  wait "$sender"
  sleep 0.5
  # The CPU of each ambi-verify thread: the receiving thread's share bounds what more
  # hash threads (--workers) can reach on more cores.
  local threads=""
  for p in $(_descendants_of "$rx"); do
    [[ $(cat "/proc/$p/comm" 2>/dev/null) == ambi-verify ]] || continue
    threads+=" $(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$p/task/$p/stat")"
    for t in /proc/"$p"/task/*; do
      [[ ${t##*/} == "$p" ]] && continue
      threads+=" $(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "$t/stat")"
    done
  done
  [[ -z $threads ]] || echo "  thread CPU seconds (receiving thread first):$threads" >&2
  for p in $(_descendants_of "$rx"); do kill -INT "$p" 2>/dev/null || true; done
  wait "$rx" 2>/dev/null || true
  local got
  if [[ $tool == ambi ]]; then
    got=$(sed -n 's/.*stats: verified=\([0-9]*\).*/\1/p' "$TMP/rx.err")
  else
    got=$(json_field "$TMP/rx.err" stats packets)
  fi
  read -r user sys rss < <(tail -n1 "$TMP/time")
  echo "$(cat "$TMP/sent") ${got:-0} $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') $rss"
}

echo "ambi: $(build_type) build, $AMBI_VERIFY ${VERIFY_ARGS:-}; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ambi: 1200-byte datagrams over veth at $RATE pps for $DURATION s, $RUNS runs, median"
run plain >/dev/null  # warm-up: the first run after idle is slow
declare -a sha ambi plain ambi_rss
for ((i = 0; i < RUNS; i++)); do
  sha+=("$(sha_limit)")
  for tool in ambi plain; do
    read -r sent got cpu rss < <(run "$tool")
    per_cpu=$(awk -v g="$got" -v c="$cpu" 'BEGIN { printf "%d", (c > 0 ? g / c : 0) }')
    printf '  run %d %-6s sent %8s received %8s cpu %6.2f s  -> %8s packets/CPU-s  rss %s KiB\n' \
      "$i" "$tool" "$sent" "$got" "$cpu" "$per_cpu" "$rss" >&2
    if [[ $tool == ambi ]]; then ambi+=("$per_cpu") ambi_rss+=("$rss"); else plain+=("$per_cpu"); fi
  done
done
sha_m=$(printf '%s\n' "${sha[@]}" | median)
ambi_m=$(printf '%s\n' "${ambi[@]}" | median)
plain_m=$(printf '%s\n' "${plain[@]}" | median)
printf 'SHA-256 limit (openssl speed, 1220 B)  %9.0f hashes/s\n' "$sha_m"
printf 'ambi-verify                            %9.0f verified packets/CPU-s   ratio to SHA-256 limit %.2f\n' \
  "$ambi_m" "$(awk -v a="$ambi_m" -v s="$sha_m" 'BEGIN { print s ? a / s : 0 }')"
printf 'taps-mcast-recv (no AMBI)              %9.0f packets/CPU-s            ambi/plain %.2f\n' \
  "$plain_m" "$(awk -v a="$ambi_m" -v p="$plain_m" 'BEGIN { print p ? a / p : 0 }')"
printf 'ambi-verify peak RSS while verifying   %9.0f KiB\n' "$(printf '%s\n' "${ambi_rss[@]}" | median)"

# Peak RSS under a junk flood: the authentic stream at 1000 pps, junk at the fastest
# python can forge it, for DURATION s.
RATE=1000
rm -f "$TMP/stream.json" "$TMP/go"
(stream "$TMP/go" >"$TMP/sent") &
sender=$!
while [[ ! -s $TMP/stream.json ]]; do sleep 0.05; done
ns_exec "$NS_B" /usr/bin/time -f "%U %S %M" -o "$TMP/time" "$AMBI_VERIFY" --metadata "$TMP/stream.json" \
  --ca "$TMP/certs/ca.pem" -o none --json --max-pending-bytes "$BOUND" >/dev/null 2>"$TMP/rx.err" &
rx=$!
wait_for_event "$TMP/rx.err" manifest_channel 1 "$rx"
for p in $(_descendants_of "$rx"); do
  [[ $(cat "/proc/$p/comm" 2>/dev/null) == ambi-verify ]] && rest=$(awk '/^VmRSS/ { print $2 }' "/proc/$p/status")
done
printf 'ambi-verify RSS at rest                %9s KiB (manifest channel up, no datagram yet)\n' "${rest:-?}"
echo go >"$TMP/go"
ns_exec "$NS_A" python3 "$BENCH_ROOT/tests/cli/ambi_peer.py" inject --source "$S" --sport "$SPORT" --group "$G" --port "$P" \
  --count $((DURATION * 100000)) --rate 100000 --size 1200 2>/dev/null &
flood=$!
wait "$sender"
kill "$flood" 2>/dev/null || true
wait "$flood" 2>/dev/null || true
sleep 2.5
for p in $(_descendants_of "$rx"); do kill -INT "$p" 2>/dev/null || true; done
wait "$rx" 2>/dev/null || true
read -r _ _ rss < <(tail -n1 "$TMP/time")
python3 - "$TMP/rx.err" "$rss" "$BOUND" "$(cat "$TMP/sent")" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"stats"' in l][-1]
rss, bound, sent = int(sys.argv[2]), int(sys.argv[3]) // 1024, int(sys.argv[4])
junk = sum(s["dropped"].values())
print("junk flood: %d junk packets dropped %s; %d of %d authentic verified" % (junk, s["dropped"], s["verified"], sent))
print("peak RSS %d KiB against the pending bound %d KiB + 16 MiB = %d KiB: %s" % (
    rss, bound, bound + 16384, "within" if rss <= bound + 16384 else "OVER"))
PY
