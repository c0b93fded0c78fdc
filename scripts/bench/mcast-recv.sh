#!/usr/bin/env bash
# Multicast receive: the highest rate with < 0.1 % loss for taps-mcast-recv, iperf2
# (-s -B G -H S -w 4M) and socat (ASM: Debian's socat has no SSM option), same run.
#
#   namespace A (sender): iperf -c G -u -l 1200 -b RATEpps   (10.99.9.1)
#   namespace B (receiver), over a veth pair: one of the three receivers
#
# Rates step through RATES (pps). Each (rate, tool) runs DURATION seconds. Ground truth
# is the kernel: UdpInDatagrams (read by the receiver) and RcvbufErrors (dropped at its
# socket) from B's /proc/net/snmp, against OutDatagrams from A's. Loss = 1 - read/sent.
# taps-mcast-recv's own count must equal UdpInDatagrams. CPU (user + system) and peak
# RSS of the receiver come from GNU time.
#
# Environment: BUILD_DIR (default build/release), RATES (default "50000 100000 200000
#              300000 400000 500000"), DURATION (default 2).
source "$(dirname "$0")/common.sh"
ensure_pkg /usr/bin/time time
ensure_pkg iperf iperf
ensure_pkg socat socat
need_root

TAPS_MCAST_RECV="$BUILD_DIR/apps/taps-mcast-recv/taps-mcast-recv"
if [[ ! -x $TAPS_MCAST_RECV ]]; then
  (cd "$BENCH_ROOT" && cmake --build "$BUILD_DIR" -j2 --target taps-mcast-recv >&2)
fi
RATES=${RATES:-"50000 100000 200000 300000 400000 500000"}
DURATION=${DURATION:-2}
SOURCE=10.99.9.1
GROUP=232.99.9.1
ASM_GROUP=239.99.9.1
PORT=5009

netns_pair benchA benchB "$SOURCE" 10.99.9.2

# udp_counter NS FIELD: one Udp field of a namespace's /proc/net/snmp.
udp_counter() {
  ns_exec "$1" awk -v f="$2" '$1 == "Udp:" { if (!n) { for (i = 2; i <= NF; i++) col[$i] = i; n = 1 } else print $col[f] }' /proc/net/snmp
}

# run TOOL RATE: one measurement; prints "sent read rcvbuf_errors cpu_s rss_kib own_count".
run() {
  local tool=$1 rate=$2 group=$GROUP rx cmd=() own=
  case $tool in
    taps) cmd=("$TAPS_MCAST_RECV" -s "$SOURCE" "$GROUP" "$PORT" -o none --json) ;;
    iperf2) cmd=(iperf -s -u -B "$GROUP" -H "$SOURCE" -p "$PORT" -l 1500 -w 4M) ;;
    socat)
      group=$ASM_GROUP
      cmd=(socat -u "UDP4-RECV:$PORT,bind=$ASM_GROUP,ip-add-membership=$ASM_GROUP:veth0,reuseaddr,rcvbuf=4194304" /dev/null)
      ;;
  esac
  ns_exec "$NS_B" /usr/bin/time -f "%U %S %M" -o "$TMP/time" "${cmd[@]}" >/dev/null 2>"$TMP/rx.err" &
  rx=$!
  if [[ $tool == taps ]]; then wait_for_event "$TMP/rx.err" join 1 "$rx"; else sleep 0.5; fi
  local in0 err0 out0 in1 err1 out1
  in0=$(udp_counter "$NS_B" InDatagrams) err0=$(udp_counter "$NS_B" RcvbufErrors) out0=$(udp_counter "$NS_A" OutDatagrams)
  ns_exec "$NS_A" iperf -c "$group" -u -p "$PORT" -B "$SOURCE" -l 1200 -b "${rate}pps" -t "$DURATION" -T 1 >/dev/null 2>&1 || true
  sleep 0.3
  in1=$(udp_counter "$NS_B" InDatagrams) err1=$(udp_counter "$NS_B" RcvbufErrors) out1=$(udp_counter "$NS_A" OutDatagrams)
  # The receiver's process (under time): INT for a clean exit with final statistics.
  pkill -INT -P "$rx" 2>/dev/null || true
  for p in $(_descendants_of "$rx"); do kill -INT "$p" 2>/dev/null || true; done
  wait "$rx" 2>/dev/null || true
  [[ $tool == taps ]] && own=$(json_field "$TMP/rx.err" stats packets)
  # The last line: GNU time puts "Command exited with non-zero status N" before it.
  read -r user sys rss < <(tail -n1 "$TMP/time") || { user=0 sys=0 rss=0; }
  echo "$((out1 - out0)) $((in1 - in0)) $((err1 - err0)) $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') $rss ${own:--}"
}

echo "mcast-recv: $(build_type) build, 1200-byte datagrams over veth, ${DURATION} s per step, net.core.rmem_max=$(cat /proc/sys/net/core/rmem_max)"
printf '%-7s %8s %8s %8s %7s %7s %9s %8s %s\n' tool rate sent read lost% rcvbuf us/pkt rss_kib own_count
declare -A best=( [taps]=0 [iperf2]=0 [socat]=0 ) cpu_at_best=( [taps]=- [iperf2]=- [socat]=- )
max_sent=0
run taps 20000 >/dev/null  # warm-up: the first run after idle is slow
for rate in $RATES; do
  for tool in taps iperf2 socat; do
    read -r sent got rcvbuf cpu rss own < <(run "$tool" "$rate")
    loss=$(awk -v s="$sent" -v g="$got" 'BEGIN { printf "%.3f", s ? 100 * (s - g) / s : 100 }')
    us=$(awk -v c="$cpu" -v g="$got" 'BEGIN { printf "%.2f", g ? c * 1e6 / g : 0 }')
    printf '%-7s %8s %8s %8s %7s %7s %9s %8s %s\n' "$tool" "$rate" "$sent" "$got" "$loss" "$rcvbuf" "$us" "$rss" "$own"
    ((sent > max_sent)) && max_sent=$sent
    if [[ $tool == taps && $own != "$got" ]]; then
      echo "  taps-mcast-recv counted $own, the kernel says $got were read" >&2
    fi
    if awk -v l="$loss" 'BEGIN { exit !(l < 0.1) }'; then
      pps=$(awk -v g="$got" -v d="$DURATION" 'BEGIN { printf "%d", g / d }')
      if ((pps > best[$tool])); then best[$tool]=$pps cpu_at_best[$tool]=$us; fi
    fi
  done
done
echo
echo "highest received rate with < 0.1 % loss (pps, us CPU/packet there):"
for tool in taps iperf2 socat; do printf '  %-7s %8s  %s\n' "$tool" "${best[$tool]}" "${cpu_at_best[$tool]}"; done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b) printf "%.2f", a / b; else printf "n/a (never under 0.1 %% loss)" }'; }
echo "ratio taps/iperf2 $(ratio "${best[taps]}" "${best[iperf2]}")   taps/socat $(ratio "${best[taps]}" "${best[socat]}")"
max_pps=$(awk -v s="$max_sent" -v d="$DURATION" 'BEGIN { printf "%d", s / d }')
echo "the iperf2 sender reached at most $max_pps pps: a tool without loss there is limited by the sender"
