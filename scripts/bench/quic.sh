#!/usr/bin/env bash
# QUIC over loopback against TLS/TCP and against ngtcp2's own examples, same run, same
# scripts/gen-certs ECDSA P-256 certificates, release build.
#
# 1. Bulk, one stream: a SIZE (default 1G) file of random bytes, server -> client, time from
#    the client's start until both ends exited (gtlsserver stays up: until the client exited);
#    one warm-up round (in which every client writes the file and it is compared byte for
#    byte: 1 GiB over one QUIC stream intact), then RUNS rounds (default 5), tools interleaved:
#      taps-cat -l --quic < FILE  -> taps-cat --quic
#      taps-cat -l --tls < FILE   -> taps-cat --tls
#      gtlsserver -d DIR          -> gtlsclient (HTTP/3 GET of FILE; the body is dropped, as
#                                    taps-cat's goes to /dev/null; the warm-up downloads it)
# 2. Handshakes in one process: taps-bench-tls-handshakes --quic against the same without it
#    (client and server through the API on one thread, full handshakes, 1 byte and the end
#    of the stream/connection each). Median of HS_ROUNDS (default 3).
# 3. Time to first byte, whole process: from the start of `taps-cat --quic` (or --tls) until
#    the first byte of the server's answer reaches its stdout, and until it exited; against a
#    long-running `taps-cat -l -k -e 'printf x'` of the same stack. TTFB_RUNS (default 100)
#    each, interleaved.
# With PERF=1, one more QUIC bulk run under `perf record -g` (server and client) and the
# share of crypto, syscalls and copies in each, from perf report.
#
# Environment: BUILD_DIR (default build/release), SIZE, RUNS, HS_COUNT (default 2000),
#              HS_ROUNDS, TTFB_RUNS, PERF.
source "$(dirname "$0")/common.sh"
source "$BENCH_ROOT/tests/cli/tls_lib.sh"
ensure_pkg gtlsserver ngtcp2-server
ensure_pkg gtlsclient ngtcp2-client
ensure_pkg python3 python3

SIZE=${SIZE:-1G}
RUNS=${RUNS:-5}
HS_COUNT=${HS_COUNT:-2000}
HS_ROUNDS=${HS_ROUNDS:-3}
TTFB_RUNS=${TTFB_RUNS:-100}
BYTES=$(numfmt --from=iec "$SIZE")
BENCH_HS="$BUILD_DIR/tests/taps-bench-tls-handshakes"
if [[ ! -x $BENCH_HS ]]; then
  (cd "$BENCH_ROOT" && cmake --build "$BUILD_DIR" -j2 --target taps-bench-tls-handshakes >&2)
fi
make_certs
CA=$CERTS/ca.pem
mkdir -p "$TMP/www" "$TMP/dl"
head -c "$SIZE" /dev/urandom >"$TMP/www/f"

gbps() { awk -v b="$BYTES" -v ns=$(($2 - $1)) 'BEGIN { printf "%.3f\n", b * 8 / ns }'; }

# --- 1. bulk ---------------------------------------------------------------------------------
# run_taps STACK [download]: taps-cat -l --STACK sends the file to taps-cat --STACK; Gbit/s
# to $TMP/result; with "download" the client writes it and it is compared byte for byte (the
# 1 GiB-over-one-stream check, too slow for the ASan test suite). PREFIX (words) runs before
# each taps-cat (perf record).
PREFIX=()
run_taps() {
  local stack=$1 port t0 rc=0 got out=/dev/null
  [[ ${2:-} == download ]] && out=$TMP/dl/got
  # The last run's listening event must not be read as this one's.
  rm -f "$TMP/send.err" "$TMP/recv.err"
  "${PREFIX[@]}" "$TAPS_CAT" -l "--$stack" --cert "$CERTS/server.pem" --key "$CERTS/server.key" --json 127.0.0.1 0 \
    <"$TMP/www/f" >/dev/null 2>"$TMP/send.err" &
  local spid=$!
  port=$(wait_for_listen_port "$TMP/send.err" "$spid")
  t0=$(date +%s%N)
  "${PREFIX[@]}" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" "--$stack" --ca "$CA" --json 127.0.0.1 "$port" \
    </dev/null >"$out" 2>"$TMP/recv.err" || rc=$?
  wait_rc "$spid"
  gbps "$t0" "$(date +%s%N)" >"$TMP/result"
  [[ $rc == 0 ]] || { show_file "receiver stderr" "$TMP/recv.err"; fail "taps-cat --$stack receiver exit $rc"; }
  [[ $RC == 0 ]] || { show_file "sender stderr" "$TMP/send.err"; fail "taps-cat -l --$stack sender exit $RC"; }
  got=$(sed -n -E 's/.*"event":"closed".*"bytes_received":([0-9]+).*/\1/p' "$TMP/recv.err" | tail -n1)
  [[ $got == "$BYTES" ]] || fail "taps-cat --$stack received $got bytes, expected $BYTES"
  if [[ $out != /dev/null ]]; then
    cmp -s "$TMP/www/f" "$out" || fail "taps-cat --$stack: what arrived is not the file"
    rm -f "$out"
  fi
}

# gtlsserver serves $TMP/www for the whole run.
GPORT=$(free_port)
gtlsserver -q -d "$TMP/www" 127.0.0.1 "$GPORT" "$CERTS/server.key" "$CERTS/server.pem" >/dev/null 2>"$TMP/gtlsserver.err" &
for _ in $(seq 50); do ss -Hlun "sport = :$GPORT" | grep -q . && break; sleep 0.1; done
# run_gtls [download]: gtlsclient GETs the file; with "download" it writes it and checks it.
run_gtls() {
  local t0 rc=0 dl=()
  [[ ${1:-} == download ]] && { rm -f "$TMP/dl/f"; dl=(--download "$TMP/dl"); }
  t0=$(date +%s%N)
  timeout -k 3 "$TAPS_TIMEOUT" gtlsclient -q --exit-on-first-stream-close "${dl[@]}" 127.0.0.1 "$GPORT" \
    "https://127.0.0.1:$GPORT/f" >/dev/null 2>"$TMP/gtlsclient.err" || rc=$?
  gbps "$t0" "$(date +%s%N)" >"$TMP/result"
  [[ $rc == 0 ]] || { show_file "gtlsclient stderr" "$TMP/gtlsclient.err"; fail "gtlsclient exit $rc"; }
  if ((${#dl[@]})); then
    cmp -s "$TMP/www/f" "$TMP/dl/f" || fail "gtlsclient downloaded $(stat -c %s "$TMP/dl/f" 2>/dev/null || echo no) bytes, not the file"
    rm -f "$TMP/dl/f"
  fi
}

TOOLS=(quic tls gtls)
label() {
  case $1 in
    quic) echo "taps-cat --quic" ;; tls) echo "taps-cat --tls" ;; gtls) echo "gtlsserver->gtlsclient" ;;
  esac
}
run_tool() {
  case $1 in
    quic) run_taps quic "${2:-}" ;; tls) run_taps tls "${2:-}" ;; gtls) run_gtls "${2:-}" ;;
  esac
}

echo "bulk, one stream: $SIZE ($BYTES bytes) server -> client over 127.0.0.1, 1 warm-up round + $RUNS rounds" >&2
echo "taps-cat: $TAPS_CAT ($(build_type)); gtlsserver/gtlsclient $(dpkg-query -W -f '${Version}' ngtcp2-client 2>/dev/null); $(uname -r)" >&2
for ((i = 0; i <= RUNS; i++)); do
  for t in "${TOOLS[@]}"; do
    if ((i == 0)); then run_tool "$t" download; else run_tool "$t"; fi
    ((i == 0)) || cat "$TMP/result" >>"$TMP/$t.bulk"
    echo "  $( ((i == 0)) && echo warm-up || echo "round $i") $(label "$t"): $(cat "$TMP/result") Gbit/s" >&2
  done
done

# --- 2. handshakes in one process ------------------------------------------------------------
echo "handshakes in one process: $HS_COUNT each, $HS_ROUNDS rounds" >&2
for ((i = 1; i <= HS_ROUNDS; i++)); do
  for mode in quic tls; do
    args=()
    [[ $mode == quic ]] && args=(--quic)
    line=$("$BENCH_HS" "$CERTS" "$HS_COUNT" "${args[@]}") || fail "taps-bench-tls-handshakes $mode: $line"
    echo "  $line" >&2
    sed -E 's/.* = ([0-9]+)\/s, CPU ([0-9.]+) ms each \(user ([0-9.]+)\).*/\1 \2 \3/' <<<"$line" >>"$TMP/hs.$mode"
  done
done

# --- 3. time to first byte, whole process ----------------------------------------------------
# A long-running server per stack, one `printf x` per connection.
declare -A TTFB_PORT
for stack in quic tls; do
  "$TAPS_CAT" -l -k --"$stack" --cert "$CERTS/server.pem" --key "$CERTS/server.key" --json -e 'printf x' \
    127.0.0.1 0 </dev/null >/dev/null 2>"$TMP/ttfb.$stack.err" &
  pid=$!
  TTFB_PORT[$stack]=$(wait_for_listen_port "$TMP/ttfb.$stack.err" "$pid")
done
echo "time to first byte, whole process: $TTFB_RUNS runs each" >&2
python3 - "$TAPS_CAT" "$CA" "$TTFB_RUNS" "$TMP/ttfb.json" "${TTFB_PORT[quic]}" "${TTFB_PORT[tls]}" <<'PY'
import json, subprocess, sys, time
cat, ca, runs, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ports = {"quic": sys.argv[5], "tls": sys.argv[6]}
res = {s: {"first": [], "exit": []} for s in ports}
for i in range(runs + 5):
    for stack, port in ports.items():
        t0 = time.perf_counter()
        p = subprocess.Popen([cat, "--" + stack, "--ca", ca, "127.0.0.1", port],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = p.stdout.read(1)
        t1 = time.perf_counter()
        rest, err = p.communicate()
        t2 = time.perf_counter()
        if p.returncode != 0 or first + rest != b"x":
            sys.exit("taps-cat --%s: exit %d, got %r: %s" % (stack, p.returncode, first + rest, err.decode(errors="replace")))
        if i >= 5:  # the first five warm the caches
            res[stack]["first"].append((t1 - t0) * 1e3)
            res[stack]["exit"].append((t2 - t0) * 1e3)
json.dump(res, open(out, "w"))
PY

# --- perf (PERF=1) ------------------------------------------------------------------------------
if [[ ${PERF:-0} == 1 ]]; then
  ensure_pkg perf linux-perf
  # One perf file per process, the server's and the client's (perf.PID.data).
  # shellcheck disable=SC2016 # expanded by that sh
  PREFIX=(sh -c 'exec perf record -q -g -o "$0.$$.data" -- "$@"' "$TMP/perf")
  run_taps quic
  echo "perf, one QUIC bulk run: $(cat "$TMP/result") Gbit/s under perf" >&2
  for data in "$TMP"/perf.*.data; do
    perf report -i "$data" --no-children --sort dso,sym --stdio 2>/dev/null >"$data.txt" || true
  done
fi

# --- report ------------------------------------------------------------------------------------
echo
echo "bulk, one stream, $SIZE server -> client over loopback, median of $RUNS runs (Gbit/s)"
for t in "${TOOLS[@]}"; do printf '  %-24s %8.2f\n' "$(label "$t")" "$(median <"$TMP/$t.bulk")"; done
quic=$(median <"$TMP/quic.bulk")
for t in tls gtls; do
  printf '  ratio taps-cat --quic / %-24s %.2f\n' "$(label "$t")" "$(awk -v a="$quic" -v b="$(median <"$TMP/$t.bulk")" 'BEGIN { print a / b }')"
done

echo
echo "full handshakes in one process (client and server on one thread), median of $HS_ROUNDS rounds"
col() { cut -d' ' -f"$2" "$TMP/hs.$1" | median; }
for mode in quic tls; do
  printf '  %-8s %6.0f/s  CPU %.3f ms each (user %.3f)\n' "$mode" "$(col "$mode" 1)" "$(col "$mode" 2)" "$(col "$mode" 3)"
done
awk -v q="$(col quic 1)" -v t="$(col tls 1)" 'BEGIN { printf "  ratio QUIC / TLS handshakes per second: %.2f\n", q / t }'

python3 - "$TMP/ttfb.json" <<'PY'
import json, statistics, sys
res = json.load(open(sys.argv[1]))
print()
print("whole process: start of taps-cat -> first byte of the answer on stdout, and -> exit (%d runs, ms)" % len(res["quic"]["first"]))
print("  %-16s %14s %14s" % ("", "first byte", "exit"))
for stack in ("quic", "tls"):
    print("  %-16s %14.2f %14.2f" % ("taps-cat --" + stack, statistics.median(res[stack]["first"]), statistics.median(res[stack]["exit"])))
q, t = statistics.median(res["quic"]["first"]), statistics.median(res["tls"]["first"])
print("  ratio first byte QUIC / TLS: %.2f (< 1: QUIC answers sooner)" % (q / t))
PY

if [[ ${PERF:-0} == 1 ]]; then
  echo
  for data in "$TMP"/perf.*.data; do
    role=$(perf report -i "$data" --header-only 2>/dev/null | grep -q -- ' -l ' && echo "server (sender)" || echo "client (receiver)")
    echo "perf, $role: self time by library, then the top symbols"
    awk '/^ +[0-9.]+%/ { split($0, f, " "); pct = f[1]; sub("%", "", pct); dso = f[2]; by[dso] += pct }
         END { for (d in by) printf "    %6.2f%%  %s\n", by[d], d }' "$data.txt" | sort -rn | sed -n 1,8p
    grep -E '^ +[0-9.]+%' "$data.txt" | sed -n '1,12s/^/  /p'
  done
fi
