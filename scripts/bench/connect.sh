#!/usr/bin/env bash
# Connect + 1 byte + close, as a whole process, against one long-running socat server:
#   taps-cat 127.0.0.1 P < one-byte-file
#   socat - TCP:127.0.0.1:P < one-byte-file
#   nc -N 127.0.0.1 P < one-byte-file     (OpenBSD netcat)
#   /bin/true                             (process start-up floor)
# (hyperfine runs each through sh -c and subtracts the shell's own start-up time.)
# The server (socat -u TCP-LISTEN:P,fork OPEN:/dev/null) reads until the client's FIN and
# closes, so each client runs until it has seen the server's close. hyperfine runs every
# command RUNS times after WARMUP warm-up runs; prints mean/median and the ratios
# taps-cat / peer.
#
# Environment: BUILD_DIR (default build/release), RUNS (default 300), WARMUP (default 30).
source "$(dirname "$0")/common.sh"
ensure_pkg hyperfine hyperfine
ensure_pkg socat socat
ensure_pkg python3 python3
if ! nc -h 2>&1 | grep -q OpenBSD; then
  if command -v nc >/dev/null 2>&1; then
    echo "bench: 'nc' is not OpenBSD netcat; installing netcat-openbsd" >&2
  fi
  ensure_pkg /bin/nc.openbsd netcat-openbsd
fi
NC=nc
nc -h 2>&1 | grep -q OpenBSD || NC=/bin/nc.openbsd

RUNS=${RUNS:-300}
WARMUP=${WARMUP:-30}

start_port_listener server tsocat -u TCP-LISTEN:@PORT@,bind=127.0.0.1,fork,reuseaddr OPEN:/dev/null \
  </dev/null >/dev/null
P=$LISTENER_PORT

printf x >"$TMP/one"
names=(taps-cat socat nc /bin/true)
cmds=(
  "'$TAPS_CAT' 127.0.0.1 $P < '$TMP/one'"
  "socat - TCP:127.0.0.1:$P < '$TMP/one'"
  "$NC -N 127.0.0.1 $P < '$TMP/one'"
  "/bin/true"
)

# Each client once, with its exit code, before timing anything.
for i in "${!cmds[@]}"; do
  rc=0
  timeout 10 sh -c "${cmds[$i]}" >/dev/null 2>"$TMP/check.err" || rc=$?
  [[ $rc == 0 ]] || { show_file "stderr" "$TMP/check.err"; fail "${names[$i]}: '${cmds[$i]}' exit $rc"; }
done

echo "connect + 1 byte + close: $RUNS runs each after $WARMUP warm-up runs (hyperfine $(hyperfine --version | cut -d' ' -f2))" >&2
echo "taps-cat: $TAPS_CAT ($(build_type)); server: socat -u TCP-LISTEN:$P,fork OPEN:/dev/null" >&2
hargs=()
for i in "${!cmds[@]}"; do hargs+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMP/h.json" "${hargs[@]}" >&2

python3 - "$TMP/h.json" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
ms = lambda s: s * 1000.0
print()
print("connect + 1 byte + close, whole process, loopback (hyperfine, %d runs)" % len(res["taps-cat"]["times"]))
print("%-10s %10s %10s %10s %10s" % ("tool", "mean ms", "stddev", "median ms", "min ms"))
for name in ("taps-cat", "socat", "nc", "/bin/true"):
    r = res[name]
    print("%-10s %10.3f %10.3f %10.3f %10.3f" % (name, ms(r["mean"]), ms(r["stddev"] or 0), ms(r["median"]), ms(r["min"])))
t = res["taps-cat"]
for peer in ("socat", "nc"):
    print("ratio taps-cat / %-6s mean %.2f  median %.2f" % (peer, t["mean"] / res[peer]["mean"], t["median"] / res[peer]["median"]))
PY
