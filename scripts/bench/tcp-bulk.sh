#!/usr/bin/env bash
# TCP bulk over loopback: taps-cat against socat, same data, same run.
#
#   receiver: taps-cat -l 127.0.0.1 0 > /dev/null      | socat -u TCP-LISTEN:P STDOUT > /dev/null
#   sender:   head -c 2G /dev/zero | taps-cat 127.0.0.1 P | ... | socat -u STDIN TCP:127.0.0.1:P
#
# socat twice: default buffer (8 KiB) and -b 131072 on both sides. One warm-up round,
# then RUNS rounds (each round runs every tool once, interleaved). The time is from the
# sender's start until both ends have exited. Prints medians in Gbit/s, the ratios
# taps-cat/socat, and peak RSS (GNU time %M) of each sender and receiver.
#
# Environment: BUILD_DIR (default build/release), SIZE (default 2G, as head -c takes it),
#              RUNS (default 5).
source "$(dirname "$0")/common.sh"
ensure_pkg /usr/bin/time time
ensure_pkg socat socat
ensure_pkg python3 python3

SIZE=${SIZE:-2G}
RUNS=${RUNS:-5}
BYTES=$(numfmt --from=iec "$SIZE")
GTIME=(/usr/bin/time -f %M)

# rss_kib FILE: the %M line GNU time wrote (the last line: a failed command adds one before).
rss_kib() { tail -n1 "$1"; }

# One run in DIR. Writes "gbps sender_rss_kib receiver_rss_kib" to DIR/result. (No
# command substitution: a failure must reach the main shell's cleanup with its processes.)
run_taps() {
  local dir=$1 port t0 t1 rc
  timeout -k 3 "$TAPS_TIMEOUT" "${GTIME[@]}" -o "$dir/rss.recv" \
    "$TAPS_CAT" -l 127.0.0.1 0 --json >/dev/null 2>"$dir/recv.err" </dev/null &
  local rpid=$!
  port=$(wait_for_listen_port "$dir/recv.err" "$rpid")
  t0=$(date +%s%N)
  rc=0
  head -c "$SIZE" /dev/zero |
    timeout -k 3 "$TAPS_TIMEOUT" "${GTIME[@]}" -o "$dir/rss.send" \
      "$TAPS_CAT" 127.0.0.1 "$port" >/dev/null 2>"$dir/send.err" || rc=$?
  wait_rc "$rpid"
  t1=$(date +%s%N)
  [[ $rc == 0 ]] || { show_file "sender stderr" "$dir/send.err"; fail "taps-cat sender exit $rc"; }
  [[ $RC == 0 ]] || { show_file "receiver stderr" "$dir/recv.err"; fail "taps-cat receiver exit $RC"; }
  # The receiver's closed event counts the bytes: all of them must have arrived.
  local got
  got=$(sed -n -E 's/.*"event":"closed".*"bytes_received":([0-9]+).*/\1/p' "$dir/recv.err" | tail -n1)
  [[ -z $got || $got == "$BYTES" ]] || fail "taps-cat receiver got $got bytes, expected $BYTES"
  echo "$(gbps "$t0" "$t1") $(rss_kib "$dir/rss.send") $(rss_kib "$dir/rss.recv")" >"$dir/result"
}

# run_socat DIR [BUFSIZE]
run_socat() {
  local dir=$1 b=() t0 t1 rc
  [[ -n ${2:-} ]] && b=(-b "$2")
  start_port_listener socat-rx timeout -k 3 "$TAPS_TIMEOUT" "${GTIME[@]}" -o "$dir/rss.recv" \
    socat "${b[@]}" -u TCP-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr STDOUT >/dev/null </dev/null
  local rpid=$LISTENER_PID port=$LISTENER_PORT
  t0=$(date +%s%N)
  rc=0
  head -c "$SIZE" /dev/zero |
    timeout -k 3 "$TAPS_TIMEOUT" "${GTIME[@]}" -o "$dir/rss.send" \
      socat "${b[@]}" -u STDIN TCP:127.0.0.1:"$port" 2>"$dir/send.err" || rc=$?
  wait_rc "$rpid"
  t1=$(date +%s%N)
  [[ $rc == 0 ]] || { show_file "socat sender stderr" "$dir/send.err"; fail "socat sender exit $rc"; }
  [[ $RC == 0 ]] || { show_file "socat receiver stderr" "$TMP/socat-rx.$port.err"; fail "socat receiver exit $RC"; }
  echo "$(gbps "$t0" "$t1") $(rss_kib "$dir/rss.send") $(rss_kib "$dir/rss.recv")" >"$dir/result"
}

# gbps T0_NS T1_NS
gbps() { awk -v b="$BYTES" -v ns=$(($2 - $1)) 'BEGIN { printf "%.3f", b * 8 / ns }'; }

TOOLS=(taps socat socat-b)
label() { case $1 in taps) echo "taps-cat" ;; socat) echo "socat" ;; socat-b) echo "socat -b 131072" ;; esac; }
run_tool() {
  local dir="$TMP/$1"
  mkdir -p "$dir"
  rm -f "$dir/result"
  case $1 in
    taps) run_taps "$dir" ;;
    socat) run_socat "$dir" ;;
    socat-b) run_socat "$dir" 131072 ;;
  esac
}

echo "TCP bulk: $SIZE ($BYTES bytes) over 127.0.0.1, 1 warm-up round + $RUNS rounds" >&2
echo "taps-cat: $TAPS_CAT ($(build_type)); socat: $(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p')" >&2
for t in "${TOOLS[@]}"; do
  run_tool "$t"
  echo "  warm-up $(label "$t"): $(cut -d' ' -f1 "$TMP/$t/result") Gbit/s" >&2
done
for ((i = 1; i <= RUNS; i++)); do
  for t in "${TOOLS[@]}"; do
    run_tool "$t"
    cat "$TMP/$t/result" >>"$TMP/$t.results"
    echo "  round $i $(label "$t"): $(cut -d' ' -f1 "$TMP/$t/result") Gbit/s" >&2
  done
done

declare -A MED MIN MAX SRSS RRSS
for t in "${TOOLS[@]}"; do
  f="$TMP/$t.results"
  MED[$t]=$(cut -d' ' -f1 "$f" | median)
  MIN[$t]=$(cut -d' ' -f1 "$f" | sort -g | head -n1)
  MAX[$t]=$(cut -d' ' -f1 "$f" | sort -g | tail -n1)
  SRSS[$t]=$(cut -d' ' -f2 "$f" | sort -n | tail -n1)
  RRSS[$t]=$(cut -d' ' -f3 "$f" | sort -n | tail -n1)
done

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

echo
echo "TCP bulk, $SIZE over loopback, median of $RUNS runs (after 1 warm-up)"
printf '%-18s %10s %10s %10s %16s %16s\n' tool "Gbit/s" min max "sender RSS MiB" "recv RSS MiB"
for t in "${TOOLS[@]}"; do
  printf '%-18s %10.2f %10.2f %10.2f %16s %16s\n' "$(label "$t")" "${MED[$t]}" "${MIN[$t]}" "${MAX[$t]}" \
    "$(mib "${SRSS[$t]}")" "$(mib "${RRSS[$t]}")"
done
awk -v a="${MED[taps]}" -v b="${MED[socat]}" -v c="${MED[socat-b]}" 'BEGIN {
  printf "ratio taps-cat / socat:              %.2f\n", a / b
  printf "ratio taps-cat / socat -b 131072:    %.2f\n", a / c }'
