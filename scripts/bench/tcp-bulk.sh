#!/usr/bin/env bash
# TCP bulk over loopback: taps-cat against socat and iperf3, same data, same run, with
# stdin a pipe and stdin a regular file.
#
#   receiver: taps-cat -l 127.0.0.1 0 | cat > /dev/null    (stdout a pipe, as in a pipeline)
#             socat -u TCP-LISTEN:P STDOUT | cat > /dev/null
#   sender:   head -c 2G /dev/zero | taps-cat 127.0.0.1 P   (pipe)
#             taps-cat 127.0.0.1 P < FILE                   (file: SIZE bytes of zeros on disk)
#             ... the same with socat -u STDIN TCP:127.0.0.1:P
#   iperf3:   iperf3 -s -1 / iperf3 -c 127.0.0.1 -n SIZE (pipe mode: memory to memory, no
#             pipe at all) and -F FILE (file mode)
#
# socat twice: default buffer (8 KiB) and -b 131072 on both sides. With TAPS_CAT_BASELINE
# (another taps-cat binary, e.g. a build of the previous commit) it runs as one more tool,
# for a before/after in the same run. One warm-up round, then RUNS rounds (each round
# runs every tool once, interleaved). The time is from the sender's start until both
# ends have exited. Prints medians in Gbit/s, the ratios taps-cat/peer, peak RSS (GNU time
# %M), and the CPU seconds (user+sys) of sender and receiver together: on a loaded
# machine the CPU per GiB says more than the wall clock.
#
# Environment: BUILD_DIR (default build/release), SIZE (default 2G, as head -c takes it),
#              RUNS (default 5), MODES (default "pipe file"), TAPS_CAT_BASELINE.
source "$(dirname "$0")/common.sh"
ensure_pkg /usr/bin/time time
ensure_pkg socat socat
ensure_pkg python3 python3
ensure_pkg iperf3 iperf3

SIZE=${SIZE:-2G}
RUNS=${RUNS:-5}
MODES=${MODES:-pipe file}
BYTES=$(numfmt --from=iec "$SIZE")
GTIME=(/usr/bin/time -f "%M %U %S")
BASELINE=${TAPS_CAT_BASELINE:-}

# The file for "file" mode: zeros on disk, read once so that every tool finds it cached.
FILE="$TMP/bulk.bin"
if [[ " $MODES " == *" file "* ]]; then
  head -c "$SIZE" /dev/zero >"$FILE"
  cat "$FILE" >/dev/null
fi

# GNU time's last line (a failed command adds one before it): "rss_kib user sys".
time_line() { tail -n1 "$1"; }

# feed MODE CMD...: CMD with SIZE bytes on stdin, from a pipe or from the file.
feed() {
  local mode=$1
  shift
  if [[ $mode == file ]]; then
    "$@" <"$FILE"
  else
    head -c "$SIZE" /dev/zero | "$@"
  fi
}

# result DIR T0 T1: "gbps send_rss recv_rss cpu_s" into DIR/result.
result() {
  local dir=$1 t0=$2 t1=$3
  read -r srss su ss <<<"$(time_line "$dir/time.send")"
  read -r rrss ru rs <<<"$(time_line "$dir/time.recv")"
  echo "$(gbps "$t0" "$t1") $srss $rrss $(awk -v a="$su" -v b="$ss" -v c="$ru" -v d="$rs" 'BEGIN { printf "%.3f", a + b + c + d }')" >"$dir/result"
}

# run_taps DIR MODE BINARY (no command substitution: a failure must reach the main
# shell's cleanup with its processes).
run_taps() {
  local dir=$1 mode=$2 bin=$3 port t0 t1 rc
  { timeout -k 3 "$TAPS_TIMEOUT" "${GTIME[@]}" -o "$dir/time.recv" \
    "$bin" -l 127.0.0.1 0 --json 2>"$dir/recv.err" </dev/null | cat >/dev/null; } &
  local rpid=$!
  port=$(wait_for_listen_port "$dir/recv.err")
  t0=$(date +%s%N)
  rc=0
  feed "$mode" timeout -k 3 "$TAPS_TIMEOUT" "${GTIME[@]}" -o "$dir/time.send" \
    "$bin" 127.0.0.1 "$port" >/dev/null 2>"$dir/send.err" || rc=$?
  wait_rc "$rpid"
  t1=$(date +%s%N)
  [[ $rc == 0 ]] || { show_file "sender stderr" "$dir/send.err"; fail "taps-cat sender exit $rc"; }
  [[ $RC == 0 ]] || { show_file "receiver stderr" "$dir/recv.err"; fail "taps-cat receiver exit $RC"; }
  # The receiver's closed event counts the bytes: all of them must have arrived.
  local got
  got=$(sed -n -E 's/.*"event":"closed".*"bytes_received":([0-9]+).*/\1/p' "$dir/recv.err" | tail -n1)
  [[ -z $got || $got == "$BYTES" ]] || fail "taps-cat receiver got $got bytes, expected $BYTES"
  result "$dir" "$t0" "$t1"
}

# run_socat DIR MODE [BUFSIZE]
run_socat() {
  local dir=$1 mode=$2 b=() t0 t1 rc
  [[ -n ${3:-} ]] && b=(-b "$3")
  local port
  port=$(free_port 127.0.0.1)
  { timeout -k 3 "$TAPS_TIMEOUT" "${GTIME[@]}" -o "$dir/time.recv" \
    socat "${b[@]}" -u TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr STDOUT </dev/null 2>"$dir/recv.err" | cat >/dev/null; } &
  local rpid=$!
  for _ in $(seq 100); do tcp_listening "$port" && break; sleep 0.05; done
  t0=$(date +%s%N)
  rc=0
  feed "$mode" timeout -k 3 "$TAPS_TIMEOUT" "${GTIME[@]}" -o "$dir/time.send" \
    socat "${b[@]}" -u STDIN TCP:127.0.0.1:"$port" 2>"$dir/send.err" || rc=$?
  wait_rc "$rpid"
  t1=$(date +%s%N)
  [[ $rc == 0 ]] || { show_file "socat sender stderr" "$dir/send.err"; fail "socat sender exit $rc"; }
  [[ $RC == 0 ]] || { show_file "socat receiver stderr" "$dir/recv.err"; fail "socat receiver exit $RC"; }
  result "$dir" "$t0" "$t1"
}

# run_iperf3 DIR MODE: memory to memory (pipe mode) or -F FILE (file mode).
run_iperf3() {
  local dir=$1 mode=$2 t0 t1 rc src=()
  [[ $mode == file ]] && src=(-F "$FILE")
  local port
  port=$(free_port 127.0.0.1)
  timeout -k 3 "$TAPS_TIMEOUT" "${GTIME[@]}" -o "$dir/time.recv" \
    iperf3 -s -1 -B 127.0.0.1 -p "$port" >/dev/null 2>"$dir/recv.err" </dev/null &
  local rpid=$!
  for _ in $(seq 100); do tcp_listening "$port" && break; sleep 0.05; done
  t0=$(date +%s%N)
  rc=0
  timeout -k 3 "$TAPS_TIMEOUT" "${GTIME[@]}" -o "$dir/time.send" \
    iperf3 -c 127.0.0.1 -p "$port" -n "$BYTES" "${src[@]}" >"$dir/send.out" 2>"$dir/send.err" </dev/null || rc=$?
  wait_rc "$rpid"
  t1=$(date +%s%N)
  [[ $rc == 0 ]] || { show_file "iperf3 client" "$dir/send.out"; fail "iperf3 client exit $rc"; }
  result "$dir" "$t0" "$t1"
}

# gbps T0_NS T1_NS
gbps() { awk -v b="$BYTES" -v ns=$(($2 - $1)) 'BEGIN { printf "%.3f", b * 8 / ns }'; }

TOOLS=(taps socat-b socat iperf3)
[[ -n $BASELINE ]] && TOOLS=(taps baseline socat-b socat iperf3)
label() {
  case $1 in
    taps) echo "taps-cat" ;;
    baseline) echo "taps-cat baseline" ;;
    socat) echo "socat" ;;
    socat-b) echo "socat -b 131072" ;;
    iperf3) echo "iperf3" ;;
  esac
}
run_tool() {
  local dir="$TMP/$2/$1"
  mkdir -p "$dir"
  rm -f "$dir"/*  # a stale recv.err would show the previous run's port
  case $1 in
    taps) run_taps "$dir" "$2" "$TAPS_CAT" ;;
    baseline) run_taps "$dir" "$2" "$BASELINE" ;;
    socat) run_socat "$dir" "$2" ;;
    socat-b) run_socat "$dir" "$2" 131072 ;;
    iperf3) run_iperf3 "$dir" "$2" ;;
  esac
}

echo "TCP bulk: $SIZE ($BYTES bytes) over 127.0.0.1, modes: $MODES; 1 warm-up round + $RUNS rounds" >&2
echo "taps-cat: $TAPS_CAT ($(build_type))${BASELINE:+; baseline: $BASELINE}; socat $(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p'); $(iperf3 --version | head -n1 | cut -d' ' -f1-2)" >&2
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs" >&2
for mode in $MODES; do
  for t in "${TOOLS[@]}"; do
    run_tool "$t" "$mode"
    echo "  $mode warm-up $(label "$t"): $(cut -d' ' -f1 "$TMP/$mode/$t/result") Gbit/s" >&2
  done
  for ((i = 1; i <= RUNS; i++)); do
    for t in "${TOOLS[@]}"; do
      run_tool "$t" "$mode"
      cat "$TMP/$mode/$t/result" >>"$TMP/$mode.$t.results"
      echo "  $mode round $i $(label "$t"): $(cut -d' ' -f1,4 "$TMP/$mode/$t/result") (Gbit/s, CPU s)" >&2
    done
  done
done

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
for mode in $MODES; do
  declare -A MED=() MIN=() MAX=() SRSS=() RRSS=() CPU=()
  for t in "${TOOLS[@]}"; do
    f="$TMP/$mode.$t.results"
    MED[$t]=$(cut -d' ' -f1 "$f" | median)
    MIN[$t]=$(cut -d' ' -f1 "$f" | sort -g | head -n1)
    MAX[$t]=$(cut -d' ' -f1 "$f" | sort -g | tail -n1)
    SRSS[$t]=$(cut -d' ' -f2 "$f" | sort -n | tail -n1)
    RRSS[$t]=$(cut -d' ' -f3 "$f" | sort -n | tail -n1)
    CPU[$t]=$(cut -d' ' -f4 "$f" | median)
  done
  echo
  echo "TCP bulk, $SIZE over loopback, stdin a $mode, median of $RUNS runs (after 1 warm-up)"
  printf '%-18s %8s %8s %8s %12s %14s %14s\n' tool "Gbit/s" min max "CPU s/GiB" "sender RSS MiB" "recv RSS MiB"
  for t in "${TOOLS[@]}"; do
    printf '%-18s %8.2f %8.2f %8.2f %12.3f %14s %14s\n' "$(label "$t")" "${MED[$t]}" "${MIN[$t]}" "${MAX[$t]}" \
      "$(awk -v c="${CPU[$t]}" -v b="$BYTES" 'BEGIN { print c * 1073741824 / b }')" \
      "$(mib "${SRSS[$t]}")" "$(mib "${RRSS[$t]}")"
  done
  for t in "${TOOLS[@]}"; do
    [[ $t == taps ]] && continue
    awk -v a="${MED[taps]}" -v b="${MED[$t]}" -v ca="${CPU[taps]}" -v cb="${CPU[$t]}" -v l="$(label "$t")" \
      'BEGIN { printf "ratio taps-cat / %-18s Gbit/s %.2f   CPU %.2f\n", l ":", a / b, ca / cb }'
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
