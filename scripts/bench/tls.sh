#!/usr/bin/env bash
# TLS 1.3 over loopback: taps-cat against socat OPENSSL and openssl s_server/s_client,
# same data, same run, all with the same scripts/gen-certs ECDSA P-256 certificates.
#
# 1. Bulk: SIZE (default 1G) of zeros, client -> server, time from the sender's start
#    until both ends exited; one warm-up round, then RUNS rounds (default 5), tools
#    interleaved:
#      taps-cat --tls          -> taps-cat -l --tls
#      socat - OPENSSL:        -> socat -u OPENSSL-LISTEN: STDOUT        (and with -b 131072)
#      openssl s_client        -> openssl s_server -quiet -naccept 1
# 2. Handshakes as whole processes (hyperfine, HS_RUNS runs, default 200): connect, TLS
#    handshake with verification, 1 byte, close, against one long-running openssl s_server:
#      taps-cat --tls, socat - OPENSSL:, openssl s_client, and /bin/true (start-up floor).
# 3. Handshakes in one process: taps-bench-tls-handshakes (client and server through the
#    API on one thread; full handshakes, resumed ones, and clones of one connection group,
#    each resumed from the group's tickets), the same client alone against
#    s_server, and `openssl s_time -new -verify 1` against it. Median of HS_ROUNDS (default 3).
#
# Environment: BUILD_DIR (default build/release), SIZE, RUNS, HS_RUNS, HS_COUNT (default 2000),
#              HS_ROUNDS.
source "$(dirname "$0")/common.sh"
source "$BENCH_ROOT/tests/cli/tls_lib.sh"
ensure_pkg socat socat
ensure_pkg hyperfine hyperfine
ensure_pkg python3 python3

SIZE=${SIZE:-1G}
RUNS=${RUNS:-5}
HS_RUNS=${HS_RUNS:-200}
HS_COUNT=${HS_COUNT:-2000}
HS_ROUNDS=${HS_ROUNDS:-3}
BYTES=$(numfmt --from=iec "$SIZE")
BENCH_HS="$BUILD_DIR/tests/taps-bench-tls-handshakes"
if [[ ! -x $BENCH_HS ]]; then
  (cd "$BENCH_ROOT" && cmake --build "$BUILD_DIR" -j2 --target taps-bench-tls-handshakes >&2)
fi
make_certs
CA=$CERTS/ca.pem

gbps() { awk -v b="$BYTES" -v ns=$(($2 - $1)) 'BEGIN { printf "%.3f", b * 8 / ns }'; }

# --- 1. bulk ---------------------------------------------------------------------------
# Each run_* writes its Gbit/s to $TMP/result.
run_taps() {
  local port t0 rc=0 got
  # The last run's listening event must not be read as this one's: the shell truncates the
  # file only once the background job runs, which under load is after the read.
  rm -f "$TMP/recv.err"
  tc -l --tls --cert "$CERTS/server.pem" --key "$CERTS/server.key" --json 127.0.0.1 0 \
    </dev/null >/dev/null 2>"$TMP/recv.err" &
  local rpid=$!
  port=$(wait_for_listen_port "$TMP/recv.err" "$rpid")
  t0=$(date +%s%N)
  head -c "$SIZE" /dev/zero | tc --tls --ca "$CA" 127.0.0.1 "$port" >/dev/null 2>"$TMP/send.err" || rc=$?
  wait_rc "$rpid"
  echo "$(gbps "$t0" "$(date +%s%N)")" >"$TMP/result"
  [[ $rc == 0 ]] || { show_file "sender stderr" "$TMP/send.err"; fail "taps-cat sender exit $rc"; }
  [[ $RC == 0 ]] || { show_file "receiver stderr" "$TMP/recv.err"; fail "taps-cat receiver exit $RC"; }
  got=$(sed -n -E 's/.*"event":"closed".*"bytes_received":([0-9]+).*/\1/p' "$TMP/recv.err" | tail -n1)
  [[ $got == "$BYTES" ]] || fail "taps-cat receiver got $got bytes, expected $BYTES"
}

# run_socat [BUFSIZE]. The sender is bidirectional: it reads the session tickets, so its
# close does not reset the connection (see tests/cli/test_tls_socat.sh).
run_socat() {
  local b=() t0 rc=0
  [[ -n ${1:-} ]] && b=(-b "$1")
  start_socat_listener "${b[@]}" -u "OPENSSL-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr,cert=$CERTS/server.pem,key=$CERTS/server.key,verify=0" \
    STDOUT </dev/null >/dev/null
  t0=$(date +%s%N)
  head -c "$SIZE" /dev/zero | tsocat "${b[@]}" -t 30 - "OPENSSL:127.0.0.1:$SOCAT_PORT,cafile=$CA" >/dev/null 2>"$TMP/send.err" || rc=$?
  wait_rc "$SOCAT_PID"
  echo "$(gbps "$t0" "$(date +%s%N)")" >"$TMP/result"
  [[ $rc == 0 ]] || { show_file "socat sender stderr" "$TMP/send.err"; fail "socat sender exit $rc"; }
  [[ $RC == 0 ]] || { show_file "socat receiver stderr" "$TMP/socat.$SOCAT_PORT.err"; fail "socat receiver exit $RC"; }
}

# s_client without -quiet: at stdin EOF it sends close_notify and exits; -nocommands keeps
# the data from being read as its command letters.
run_openssl() {
  local t0 rc=0
  start_s_server - /dev/null -tls1_3
  t0=$(date +%s%N)
  head -c "$SIZE" /dev/zero |
    timeout -k 3 "$TAPS_TIMEOUT" openssl s_client -nocommands -CAfile "$CA" -connect "127.0.0.1:$S_SERVER_PORT" \
      >/dev/null 2>"$TMP/send.err" || rc=$?
  wait_rc "$S_SERVER_PID"
  echo "$(gbps "$t0" "$(date +%s%N)")" >"$TMP/result"
  [[ $rc == 0 ]] || { show_file "s_client stderr" "$TMP/send.err"; fail "s_client exit $rc"; }
  [[ $RC == 0 ]] || fail "s_server exit $RC"
}

TOOLS=(taps socat socat-b openssl)
label() {
  case $1 in
    taps) echo "taps-cat" ;; socat) echo "socat" ;; socat-b) echo "socat -b 131072" ;;
    openssl) echo "s_client/s_server" ;;
  esac
}
run_tool() {
  case $1 in
    taps) run_taps ;; socat) run_socat ;; socat-b) run_socat 131072 ;; openssl) run_openssl ;;
  esac
}

echo "TLS 1.3 bulk: $SIZE ($BYTES bytes) over 127.0.0.1, 1 warm-up round + $RUNS rounds" >&2
echo "taps-cat: $TAPS_CAT ($(build_type)); $(openssl version); socat $(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p')" >&2
for ((i = 0; i <= RUNS; i++)); do
  for t in "${TOOLS[@]}"; do
    run_tool "$t"
    ((i == 0)) || cat "$TMP/result" >>"$TMP/$t.bulk"
    echo "  $( ((i == 0)) && echo warm-up || echo "round $i") $(label "$t"): $(cat "$TMP/result") Gbit/s" >&2
  done
done

# --- 2. handshakes as whole processes ----------------------------------------------------
# A long-running s_server (start_s_server serves one connection): stdin open, no output.
fifo_from sleep 100000
start_port_listener s_server _with_stdin "$FIFO" openssl s_server -tls1_3 -quiet -accept 127.0.0.1:@PORT@ \
  -cert "$CERTS/server.pem" -key "$CERTS/server.key" >/dev/null
S_SERVER_PID=$LISTENER_PID
P=$LISTENER_PORT
printf x >"$TMP/one"
names=(taps-cat socat s_client /bin/true)
cmds=(
  "'$TAPS_CAT' --tls --ca '$CA' 127.0.0.1 $P < '$TMP/one'"
  "socat - OPENSSL:127.0.0.1:$P,cafile='$CA' < '$TMP/one'"
  "openssl s_client -quiet -no_ign_eof -CAfile '$CA' -verify_return_error -connect 127.0.0.1:$P < '$TMP/one'"
  "/bin/true"
)
for i in "${!cmds[@]}"; do
  rc=0
  timeout 10 sh -c "${cmds[$i]}" >/dev/null 2>"$TMP/check.err" || rc=$?
  [[ $rc == 0 ]] || { show_file "stderr" "$TMP/check.err"; fail "${names[$i]}: '${cmds[$i]}' exit $rc"; }
done
echo "handshakes as whole processes: $HS_RUNS runs each against openssl s_server -tls1_3 (hyperfine)" >&2
hargs=()
for i in "${!cmds[@]}"; do hargs+=(-n "${names[$i]}" "${cmds[$i]} >/dev/null 2>&1"); done
hyperfine --style basic --warmup 20 --runs "$HS_RUNS" --export-json "$TMP/h.json" "${hargs[@]}" >&2

# --- 3. handshakes in one process ------------------------------------------------------------
echo "handshakes in one process: $HS_COUNT each, $HS_ROUNDS rounds" >&2
for ((i = 1; i <= HS_ROUNDS; i++)); do
  for mode in full resumed clone client; do
    case $mode in
      full) args=() ;; resumed) args=(--resume) ;; clone) args=(--clone) ;; client) args=(--port "$P") ;;
    esac
    line=$("$BENCH_HS" "$CERTS" "$HS_COUNT" "${args[@]}") || fail "taps-bench-tls-handshakes $mode: $line"
    echo "  $line" >&2
    sed -E 's/.* = ([0-9]+)\/s, CPU ([0-9.]+) ms each \(user ([0-9.]+)\).*/\1 \2 \3/' <<<"$line" >>"$TMP/hs.$mode"
  done
  line=$(openssl s_time -connect "127.0.0.1:$P" -new -verify 1 -CAfile "$CA" -time 5 2>/dev/null | grep 'connections in [0-9.]*s;')
  echo "  s_time: $line" >&2
  sed -E 's/^([0-9]+) connections in ([0-9.]+)s; ([0-9.]+) connections\/user sec.*/\1 \3/' <<<"$line" >>"$TMP/hs.s_time"
done
kill_tree "$S_SERVER_PID"

# --- report ---------------------------------------------------------------------------
echo
echo "TLS 1.3 bulk, $SIZE over loopback, median of $RUNS runs (Gbit/s)"
for t in "${TOOLS[@]}"; do printf '  %-20s %8.2f\n' "$(label "$t")" "$(median <"$TMP/$t.bulk")"; done
taps=$(median <"$TMP/taps.bulk")
for t in socat socat-b openssl; do
  printf '  ratio taps-cat / %-18s %.2f\n' "$(label "$t")" "$(awk -v a="$taps" -v b="$(median <"$TMP/$t.bulk")" 'BEGIN { print a / b }')"
done

python3 - "$TMP/h.json" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
print()
print("connect + TLS handshake + 1 byte + close, whole process (hyperfine, %d runs)" % len(res["taps-cat"]["times"]))
print("  %-10s %10s %10s %14s" % ("tool", "median ms", "mean ms", "processes/s"))
for name in ("taps-cat", "socat", "s_client", "/bin/true"):
    r = res[name]
    print("  %-10s %10.3f %10.3f %14.0f" % (name, r["median"] * 1e3, r["mean"] * 1e3, 1 / r["median"]))
t = res["taps-cat"]["median"]
for peer in ("socat", "s_client"):
    print("  ratio taps-cat / %-8s (time; < 1 is faster) %.2f" % (peer, t / res[peer]["median"]))
PY

echo
echo "TLS handshakes in one process, median of $HS_ROUNDS rounds"
col() { cut -d' ' -f"$2" "$TMP/hs.$1" | median; }
row() { printf '  %-48s %6.0f/s  CPU %.3f ms each (user %.3f)\n' "$1" "$(col "$2" 1)" "$(col "$2" 2)" "$(col "$2" 3)"; }
row "API, client and server on one thread (full)" full
row "API, client and server on one thread (resumed)" resumed
row "API, TLS clones of one group (resumed)" clone
awk -v c="$(col clone 1)" -v f="$(col full 1)" \
  'BEGIN { printf "  TLS clones per second (resumed) / full handshakes per second: %.2f\n", c / f }'
row "API client alone, against s_server (full)" client
printf '  %-48s %6.0f/s  %.0f per client user CPU second\n' "openssl s_time -new -verify 1, against s_server" \
  "$(awk '{ print $1 / 5 }' "$TMP/hs.s_time" | median)" "$(col s_time 2)"
awk -v a="$(col client 3)" -v b="$(col s_time 2)" \
  'BEGIN { printf "  ratio handshakes per client user CPU second, taps / s_time: %.2f\n", (1000 / a) / b }'
