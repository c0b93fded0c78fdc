# shellcheck shell=bash
# Helpers for the racing tests (tests/cli/test_race_*.sh), sourced after lib.sh.

# attempt_t FILE ID: the "t" of attempt ID (seconds); attempt_gap_ms FILE ID_A ID_B: ms
# between the starts of two attempts, from the events' own timestamps (taken when the
# engine started them, so a loaded machine delays the output, not the measure).
attempt_gap_ms() {
  python3 - "$@" <<'PY'
import json, sys
path, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = {}
for line in open(path, encoding="utf-8", errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if isinstance(e, dict) and e.get("event") == "attempt":
        t[e["id"]] = e["t"]
print("%.3f" % ((t[b] - t[a]) * 1000.0) if a in t and b in t else "missing")
PY
}

# within_ms VALUE LOW HIGH: true when LOW <= VALUE <= HIGH (VALUE may be fractional).
within_ms() {
  python3 -c 'import sys; v, lo, hi = map(float, sys.argv[1:]); sys.exit(0 if lo <= v <= hi else 1)' "$1" "$2" "$3" 2>/dev/null
}

# race_with_retries TRIES CHECK_FUNCTION: timing checks on a shared 2-core machine can
# lose the CPU for longer than the tolerance; a timing is wrong only when it is wrong
# every time (the function returns 0 on success and leaves its reason in RACE_WHY).
race_with_retries() {
  local tries=$1 check=$2 i
  for ((i = 1; i <= tries; i++)); do
    if "$check"; then return 0; fi
    note "try $i: $RACE_WHY"
  done
  fail "$RACE_WHY (in $tries tries)"
}

# ns_hosts NS LINES: /etc/netns/NS/hosts for `ip netns exec NS` (glibc reads it as
# /etc/hosts there); removed when the test ends.
_RACE_HOSTS_DIRS=()
ns_hosts() {
  mkdir -p "/etc/netns/$1"
  _RACE_HOSTS_DIRS+=("/etc/netns/$1")
  printf '%s\n' "$2" >"/etc/netns/$1/hosts"
}
_race_cleanup() {
  local rc=$? d
  for d in "${_RACE_HOSTS_DIRS[@]}"; do rm -rf "$d"; done
  (exit "$rc")
  _cleanup
}
trap _race_cleanup EXIT

# tc_in NS ARGS...: taps-cat inside NS under the timeout.
tc_in() {
  local ns=$1
  shift
  ip netns exec "$ns" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" "$@"
}

# serve_in NS ADDR PORT TEXT: a TCP server in NS on ADDR:PORT that sends TEXT to every
# client and reads until the client's end (socat). Waits until it listens.
serve_in() {
  local ns=$1 addr=$2 port=$3 text=$4 i
  local listen="TCP-LISTEN:$port,bind=$addr"
  [[ $addr == *:* ]] && listen="TCP6-LISTEN:$port,bind=[$addr],ipv6only=0"
  ip netns exec "$ns" timeout -k 3 "$TAPS_TIMEOUT" socat "$listen,fork,reuseaddr" \
    "SYSTEM:echo $text; cat >/dev/null" 2>>"$TMP/serve.err" &
  for ((i = 0; i < 50; i++)); do
    ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -q . && return 0
    sleep 0.1
  done
  fail "no server on $addr:$port in $ns"
}

# slow_dns_in NS RECORD...: tests/cli/slow_dns.py on 127.0.0.1:53 in NS (its stdout in
# $TMP/dns.out, its query log in $TMP/dns.log), and NS's resolv.conf pointing at it.
slow_dns_in() {
  local ns=$1 i
  shift
  printf 'nameserver 127.0.0.1\n' >"/etc/netns/$ns/resolv.conf"
  ip netns exec "$ns" python3 "$CLI_LIB_DIR/slow_dns.py" 127.0.0.1 53 "$@" >"$TMP/dns.out" 2>"$TMP/dns.log" &
  for ((i = 0; i < 50; i++)); do
    grep -q ready "$TMP/dns.out" 2>/dev/null && return 0
    sleep 0.1
  done
  show_file "dns server" "$TMP/dns.log"
  fail "the DNS server did not start"
}

# threads_while_asking PID NAME: once $TMP/dns.log shows both queries (A and AAAA) for
# NAME, the number of threads of the taps-cat under PID; empty when they did not come
# within 5 s (a loaded machine may take a while to start taps-cat).
threads_while_asking() {
  local pid=$1 name=$2 i p threads=""
  for ((i = 0; i < 50; i++)); do
    sleep 0.1
    (($(grep -c "query $name" "$TMP/dns.log") >= 2)) || continue
    for p in $(_descendants_of "$pid"); do
      [[ $(cat "/proc/$p/comm" 2>/dev/null) == taps-cat ]] && threads=$(ls "/proc/$p/task" | wc -l)
    done
    break
  done
  echo "$threads"
}
