#!/usr/bin/env bash
# Racing time-to-ready against the RFC 8305 ideal. Two namespaces joined by a veth; the
# server (socat) listens on two addresses and the first one drops SYNs (nftables), so
# every run of
#   taps-cat --json --attempt-delay D 10.98.0.2 P -r 10.98.0.3:P < /dev/null
# wins with its second attempt. Time to ready is the "ready" event's t minus the first
# "attempt" event's t (the engine's own clock); the ideal is D + one TCP handshake,
# the median connect time of a direct, unraced run. For D = 50, 100 and 250 ms, RUNS
# runs each (default 20): median and worst overshoot over the ideal.
#
# Environment: BUILD_DIR (default build/release), RUNS (default 20). Needs root.
source "$(dirname "$0")/common.sh"
ensure_pkg socat socat
ensure_pkg nft nftables
ensure_pkg python3 python3
need_root
RUNS=${RUNS:-20}

netns_pair benchraceA benchraceB 10.98.0.1 10.98.0.2
ip -n "$NS_B" addr add 10.98.0.3/24 dev veth0
P=7000
ns_exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" socat -u "TCP-LISTEN:$P,fork,reuseaddr" OPEN:/dev/null \
  2>"$TMP/socat.err" &
for _ in $(seq 50); do ns_exec "$NS_B" ss -Hltn "sport = :$P" | grep -q . && break; sleep 0.1; done
ns_nft "$NS_B" $'table inet t {\n chain in {\n  type filter hook input priority 0;\n  ip daddr 10.98.0.2 tcp dport '"$P"$' drop\n }\n}'

# ready_ms FILE: ms from the first attempt to ready.
ready_ms() {
  python3 - "$1" <<'PY'
import json, sys
t = {}
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == "attempt" and "attempt" not in t:
        t["attempt"] = e["t"]
    if e.get("event") == "ready":
        t["ready"] = e["t"]
print("%.3f" % ((t["ready"] - t["attempt"]) * 1000.0))
PY
}

run_one() {
  ns_exec "$NS_A" "$TAPS_CAT" --json "$@" </dev/null >/dev/null 2>"$TMP/err" ||
    { show_file stderr "$TMP/err"; fail "taps-cat $* failed"; }
  ready_ms "$TMP/err"
}

# Warm up (the first runs after an idle pause are slow), then the direct handshake time.
for _ in 1 2 3; do run_one 10.98.0.3 "$P" >/dev/null; done
rtt=$(for _ in $(seq "$RUNS"); do run_one 10.98.0.3 "$P"; done | median)
echo "taps-cat: $TAPS_CAT ($(build_type)); $RUNS runs per delay; direct connect (RTT) median $rtt ms" >&2

printf '\n%-10s %12s %12s %14s %14s\n' "delay ms" "ideal ms" "median ms" "median over" "worst over"
for delay in 50 100 250; do
  : >"$TMP/times"
  for _ in $(seq "$RUNS"); do
    run_one --attempt-delay "$delay" 10.98.0.2 "$P" -r "10.98.0.3:$P" >>"$TMP/times"
  done
  python3 - "$TMP/times" "$delay" "$rtt" <<'PY'
import statistics, sys
times = [float(x) for x in open(sys.argv[1]) if x.strip()]
ideal = float(sys.argv[2]) + float(sys.argv[3])
over = [t - ideal for t in times]
print("%-10s %12.3f %12.3f %14.3f %14.3f" % (sys.argv[2], ideal, statistics.median(times), statistics.median(over), max(over)))
PY
done
