#!/usr/bin/env bash
# Multicast send: the highest rate each sender holds within 1 % of its target, and its
# CPU per packet, for taps-mcast-send and iperf2's client (`iperf -c G -u -b Npps`),
# 1200-byte datagrams, same run, same path.
#
#   namespace A (sender) --veth--> namespace B: a socket joined to (S,G) that never reads
#
# Each (rate, tool) runs DURATION seconds, REPEAT times; the achieved rate is what
# arrived at B's socket layer (B's UdpInDatagrams + RcvbufErrors: each datagram once,
# also when the sender hands the kernel a UDP GSO buffer of many, which A's
# UdpOutDatagrams counts once) over DURATION, the median of the repeats. A tool "holds"
# a rate when that median is within 1 % of it. CPU (user + system) from GNU time: it
# includes B's receive path, which the veth runs on the sender's CPU, for both tools.
#
# Environment: BUILD_DIR (default build/release), RATES (default "25000 50000 100000
#              200000 300000 400000 500000 600000 800000"), DURATION (default 2), REPEAT (default 3).
source "$(dirname "$0")/common.sh"
ensure_pkg /usr/bin/time time
ensure_pkg iperf iperf
need_root

TAPS_MCAST_SEND="$BUILD_DIR/apps/taps-mcast-send/taps-mcast-send"
if [[ ! -x $TAPS_MCAST_SEND ]]; then
  (cd "$BENCH_ROOT" && cmake --build "$BUILD_DIR" -j2 --target taps-mcast-send >&2)
fi
RATES=${RATES:-"25000 50000 100000 200000 300000 400000 500000 600000 800000"}
DURATION=${DURATION:-2}
REPEAT=${REPEAT:-3}
SOURCE=10.99.8.1
GROUP=232.99.8.1
PORT=5008

netns_pair sbenchA sbenchB "$SOURCE" 10.99.8.2

# The sink in B: joined, never reading; the kernel counts every datagram that reaches it.
ns_exec "$NS_B" python3 - "$SOURCE" "$GROUP" "$PORT" <<'PY' &
import socket, struct, sys, time
source, group, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((group, port))
# struct ip_mreq_source: group, interface address, source
s.setsockopt(socket.IPPROTO_IP, 39, socket.inet_aton(group) + socket.inet_aton("10.99.8.2") + socket.inet_aton(source))
time.sleep(100000)
PY
sleep 0.5

# arrived: datagrams that reached B's UDP layer so far.
arrived() { echo $(($(udp_counter "$NS_B" InDatagrams) + $(udp_counter "$NS_B" RcvbufErrors))); }

# run TOOL RATE: one measurement; prints "achieved_pps cpu_us_per_packet".
run() {
  local tool=$1 rate=$2 cmd=()
  case $tool in
    taps) cmd=("$TAPS_MCAST_SEND" -i veth0 --source "$SOURCE" --rate "$rate" -t "$DURATION" --size 1200 "$GROUP" "$PORT") ;;
    iperf2) cmd=(iperf -c "$GROUP" -u -p "$PORT" -B "$SOURCE" -l 1200 -b "${rate}pps" -t "$DURATION" -T 1) ;;
  esac
  local out0 out1
  out0=$(arrived)
  ns_exec "$NS_A" /usr/bin/time -f "%U %S" -o "$TMP/time" "${cmd[@]}" >/dev/null 2>&1 || true
  sleep 0.2
  out1=$(arrived)
  read -r user sys < <(tail -n1 "$TMP/time") || { user=0 sys=0; }
  awk -v n="$((out1 - out0))" -v d="$DURATION" -v u="$user" -v s="$sys" \
    'BEGIN { printf "%.0f %.3f\n", n / d, n ? (u + s) * 1e6 / n : 0 }'
}

echo "mcast-send: $(build_type) build, 1200-byte datagrams over veth, ${DURATION} s x ${REPEAT} per step, $(nproc) CPUs"
printf '%-7s %8s %10s %8s %7s %s\n' tool target achieved error% us/pkt holds
declare -A best=([taps]=0 [iperf2]=0) cpu_at_best=([taps]=- [iperf2]=-)
run taps 50000 >/dev/null  # warm-up: the first run after idle is slow
for rate in $RATES; do
  for tool in taps iperf2; do
    achieved=() cpus=()
    for ((i = 0; i < REPEAT; i++)); do
      read -r a c < <(run "$tool" "$rate")
      achieved+=("$a") cpus+=("$c")
    done
    a=$(printf '%s\n' "${achieved[@]}" | median)
    c=$(printf '%s\n' "${cpus[@]}" | median)
    err=$(awk -v a="$a" -v r="$rate" 'BEGIN { printf "%.2f", 100 * (a - r) / r }')
    holds=no
    if awk -v e="$err" 'BEGIN { exit !(e >= -1 && e <= 1) }'; then
      holds=yes
      ((rate > best[$tool])) && best[$tool]=$rate && cpu_at_best[$tool]=$c
    fi
    printf '%-7s %8s %10s %8s %7s %s\n' "$tool" "$rate" "$a" "$err" "$c" "$holds"
  done
done
echo
echo "highest rate within 1 %: taps-mcast-send ${best[taps]} pps (${cpu_at_best[taps]} us/pkt), iperf2 ${best[iperf2]} pps (${cpu_at_best[iperf2]} us/pkt)"
awk -v t="${best[taps]}" -v i="${best[iperf2]}" 'BEGIN { if (i > 0) printf "ratio taps-mcast-send / iperf2: %.2f (target >= 1.5)\n", t / i; else print "ratio: iperf2 held no rate" }'
