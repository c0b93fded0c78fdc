#!/usr/bin/env bash
# Message framing cost: taps-cat --framer lp, one process sending, one receiving, over
# loopback; each stdin line is one message.
#
#   small: COUNT (default 1,000,000) messages of 64 bytes (63 + newline): messages/s.
#   large: 64 KiB messages, BIG (default 256M) in all: time with --framer lp against
#          the same bytes as a raw TCP stream, as a ratio (target < 1.5).
# One warm-up round, then RUNS (default 5) rounds; medians.
source "$(dirname "$0")/common.sh"
need_cmd python3

COUNT=${COUNT:-1000000}
BIG=${BIG:-256M}
RUNS=${RUNS:-5}

python3 - "$TMP/small.txt" "$COUNT" 63 <<'PY'
import sys
path, count, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
line = (b"m" * (width - 10))
with open(path, "wb") as f:
    for i in range(count):
        f.write(b"%09d " % i + line + b"\n")
PY
python3 - "$TMP/large.txt" "$(numfmt --from=iec "$BIG")" <<'PY'
import sys
path, total = sys.argv[1], int(sys.argv[2])
line = b"L" * 65535 + b"\n"
with open(path, "wb") as f:
    for _ in range(total // len(line)):
        f.write(line)
PY

# run FILE ARGS...: seconds from the sender's start until both ends are done; the
# receiver's output must equal the input.
# Without --json: one JSON line per message would be what is measured. So the port
# comes from free_port and the listener is awaited with tcp_listening.
run() {
  local file=$1 port t0 t1 i
  shift
  port=$(free_port 127.0.0.1)
  "$TAPS_CAT" -l 127.0.0.1 "$port" "$@" >"$TMP/out" 2>"$TMP/recv.err" </dev/null &
  local rpid=$!
  for ((i = 0; i < 100; i++)); do tcp_listening "$port" && break; sleep 0.05; done
  t0=$(date +%s%N)
  "$TAPS_CAT" 127.0.0.1 "$port" "$@" <"$file" >/dev/null 2>"$TMP/send.err" || fail "sender failed: $(cat "$TMP/send.err")"
  wait_rc "$rpid"
  [[ $RC == 0 ]] || fail "receiver exit $RC: $(cat "$TMP/recv.err")"
  t1=$(date +%s%N)
  cmp -s "$file" "$TMP/out" || fail "received bytes differ from the input ($*)"
  echo "scale=6; ($t1 - $t0) / 1000000000" | bc
}

ensure_pkg bc bc
run "$TMP/small.txt" --framer lp >/dev/null  # warm-up
small=() raw=() framed=()
for ((i = 0; i < RUNS; i++)); do
  small+=("$(run "$TMP/small.txt" --framer lp)")
  raw+=("$(run "$TMP/large.txt")")
  framed+=("$(run "$TMP/large.txt" --framer lp)")
done
s=$(printf '%s\n' "${small[@]}" | median)
r=$(printf '%s\n' "${raw[@]}" | median)
f=$(printf '%s\n' "${framed[@]}" | median)
printf '\nframer benchmark (%s build, %s runs, medians)\n' "$(build_type)" "$RUNS"
printf '  %-36s %10.0f messages/s  (%s s for %s)\n' "lp, 64-byte messages" "$(echo "$COUNT / $s" | bc -l)" "$s" "$COUNT"
printf '  %-36s %10.3f s\n' "raw TCP, $BIG as 64 KiB lines" "$r"
printf '  %-36s %10.3f s\n' "lp, $BIG as 64 KiB messages" "$f"
printf '  %-36s %10.2f x  (target < 1.5)\n' "lp cost relative to raw" "$(echo "$f / $r" | bc -l)"
