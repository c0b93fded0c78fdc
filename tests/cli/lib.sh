# shellcheck shell=bash
# Helpers for the black-box tests in tests/cli. Source it first thing:
#
#   #!/usr/bin/env bash
#   source "$(dirname "$0")/lib.sh"
#
# It sets `set -euo pipefail`, makes a private temp dir ($TMP) and installs an EXIT
# trap that kills every process the test started (the whole process tree below the
# test's shell), deletes the network namespaces it made and removes $TMP.
#
# Exit codes (ctest): 0 pass, 1 fail, 77 skip. A test skips only when it cannot run
# here (not root, a tool missing) and never under CI=true: there it fails instead.
#
# Environment:
#   TAPS_CAT          the taps-cat binary (ctest sets it)
#   TAPS_SOURCE_DIR   repository root (ctest sets it; default: two levels above this file)
#   TAPS_TIMEOUT      seconds for each taps-cat/socat invocation (default 20)
#   TAPS_KEEP_TMP=1   keep $TMP after the test (its path is printed)

set -euo pipefail

CLI_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TAPS_SOURCE_DIR=${TAPS_SOURCE_DIR:-$(cd "$CLI_LIB_DIR/../.." && pwd)}
TAPS_CAT=${TAPS_CAT:-$TAPS_SOURCE_DIR/build/dev/apps/taps-cat/taps-cat}
TAPS_TIMEOUT=${TAPS_TIMEOUT:-20}
TEST_NAME=$(basename "$0" .sh)

# ---------------------------------------------------------------------------
# Reporting

fail() {
  echo "FAIL [$TEST_NAME]: $*" >&2
  exit 1
}

skip() {
  if [[ ${CI:-} == true ]]; then
    echo "FAIL [$TEST_NAME]: cannot run here and CI=true forbids skipping: $*" >&2
    exit 1
  fi
  echo "SKIP: $*" >&2
  exit 77
}

note() { echo "[$TEST_NAME] $*" >&2; }

# show_file LABEL FILE: print a file (at most 40 lines) for diagnostics.
show_file() {
  echo "---- $1 ($2) ----" >&2
  if [[ -e $2 ]]; then head -n 40 "$2" | cat -v >&2; else echo "(missing)" >&2; fi
  echo "----" >&2
}

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
  local exp=$1 act=$2 what=${3:-value}
  if [[ $exp != "$act" ]]; then
    fail "$what: expected '$exp', got '$act'"
  fi
}

# assert_file_eq EXPECTED_CONTENT FILE [WHAT]: byte-exact comparison (no trailing newline
# stripping, so pass the content with printf '%s' / $'...' syntax).
assert_file_eq() {
  local exp=$1 file=$2 what=${3:-$2}
  local expfile
  expfile=$(mktemp "$TMP/expected.XXXXXX")
  printf '%s' "$exp" >"$expfile"
  if ! cmp -s "$expfile" "$file"; then
    echo "expected (cat -v): $(cat -v "$expfile")" >&2
    show_file "actual" "$file"
    fail "$what: content differs"
  fi
}

# ---------------------------------------------------------------------------
# Preconditions

need_root() {
  if [[ $(id -u) != 0 ]]; then
    if [[ ${CI:-} == true ]]; then
      echo "FAIL [$TEST_NAME]: needs root, and CI=true forbids skipping" >&2
      exit 1
    fi
    echo "SKIP: needs root" >&2
    exit 77
  fi
}

# need_cmd CMD...: each must be on PATH (skip outside CI, fail under CI).
need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || skip "needs '$c' on PATH"
  done
}

# need_ipv6_loopback: ::1 must be configured.
need_ipv6_loopback() {
  if ! grep -qs '^0\{31\}1 ' /proc/net/if_inet6; then
    skip "needs ::1 on the loopback interface"
  fi
}

if [[ ! -x $TAPS_CAT ]]; then
  fail "taps-cat binary not found or not executable: TAPS_CAT=$TAPS_CAT"
fi

# ---------------------------------------------------------------------------
# Temp dir and cleanup

TMP=$(mktemp -d "${TMPDIR:-/tmp}/taps-cli-$TEST_NAME.XXXXXX")
_CLEANUP_NETNS=()

# Children of a pid (all its threads).
_children_of() {
  local p=$1
  if [[ -d /proc/$p/task ]] && compgen -G "/proc/$p/task/*/children" >/dev/null; then
    cat /proc/"$p"/task/*/children 2>/dev/null || true
  else
    ps -o pid= --ppid "$p" 2>/dev/null || true
  fi
}

_descendants_of() {
  local c
  for c in $(_children_of "$1"); do
    echo "$c"
    _descendants_of "$c"
  done
}

# kill_tree PID: TERM (then KILL) a process and everything below it.
kill_tree() {
  local pids p
  pids="$1 $(_descendants_of "$1")"
  for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    local alive=0
    for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
  for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
}

_cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  # Every process below this shell: taps-cat, socat, python peers, sleeps, timeouts.
  local pids p
  pids=$(_descendants_of $$)
  for p in $pids; do kill -TERM "$p" 2>/dev/null; done
  local waited=0
  while ((waited < 10)); do
    local alive=0
    for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
    waited=$((waited + 1))
  done
  for p in $pids; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  local ns
  for ns in "${_CLEANUP_NETNS[@]}"; do
    ip netns delete "$ns" 2>/dev/null
  done
  if [[ ${TAPS_KEEP_TMP:-0} == 1 ]]; then
    echo "[$TEST_NAME] kept $TMP" >&2
  else
    rm -rf "$TMP"
  fi
  exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# Running things

# tc ARGS...: taps-cat under a timeout (TAPS_TIMEOUT seconds, then KILL 3 s later).
# A timeout shows up as exit code 124 (or 137).
tc() {
  timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" "$@"
}

# tsocat ARGS...: socat under the same timeout.
tsocat() {
  timeout -k 3 "$TAPS_TIMEOUT" socat "$@"
}

# fifo_from CMD ARGS...: a stdin for taps-cat that stays open while CMD runs. Makes a
# FIFO, starts `CMD ARGS > FIFO` in the background and sets FIFO to its path:
#   fifo_from sleep 20; tc 127.0.0.1 "$port" <"$FIFO" | head -c 10
#   fifo_from sh -c 'sleep 1; printf pong'; tc -l 127.0.0.1 0 <"$FIFO" &
# (Not `< <(sleep 20)`: a process substitution can outlive the test outside its process
# tree, keep ctest's output pipe open and make ctest wait for it.)
# Call it directly, not in $(...): the writer must be a child of the test's shell.
_FIFO_SEQ=0
# shellcheck disable=SC2034 # FIFO is for the caller
fifo_from() {
  _FIFO_SEQ=$((_FIFO_SEQ + 1))
  FIFO="$TMP/stdin.$_FIFO_SEQ.fifo"
  mkfifo "$FIFO"
  "$@" >"$FIFO" &
}

# now_ms: monotonic-ish wall clock in milliseconds.
now_ms() {
  local ns
  ns=$(date +%s%N)
  echo $((ns / 1000000))
}

# wait_rc PID: wait for a background job and set RC to its exit code (never trips set -e).
# Not in a command substitution: a subshell cannot wait for its parent's jobs.
# shellcheck disable=SC2034 # RC is for the caller
wait_rc() {
  RC=0
  wait "$1" || RC=$?
}

# wait_for_listen_port JSONFILE [PID]: poll (up to 5 s) the JSON-lines stderr of
# `taps-cat -l ... --json` for the "listening" event and print the port of its "local"
# field ("127.0.0.1:40123" or "[::1]:40123"). With PID, fail early if it exits.
wait_for_listen_port() {
  local file=$1 pid=${2:-} line local_ep i
  for ((i = 0; i < 50; i++)); do
    if [[ -s $file ]]; then
      line=$(grep -m1 -E '"event"[[:space:]]*:[[:space:]]*"listening"' "$file" || true)
      if [[ -n $line ]]; then
        local_ep=$(sed -n -E 's/.*"local"[[:space:]]*:[[:space:]]*"([^"]*)".*/\1/p' <<<"$line")
        [[ -n $local_ep ]] || fail "listening event without a \"local\" field: $line"
        local port=${local_ep##*:}
        if ! [[ $port =~ ^[0-9]+$ ]] || ((port <= 0 || port > 65535)); then
          fail "listening event has a bad port in local=\"$local_ep\": $line"
        fi
        echo "$port"
        return 0
      fi
    fi
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      show_file "listener stderr" "$file"
      fail "listener (pid $pid) exited before reporting \"listening\""
    fi
    sleep 0.1
  done
  show_file "listener stderr" "$file"
  fail "no \"listening\" event in $file within 5 s"
}

# free_port [ADDR]: a port that was free a moment ago (bind to port 0, then close).
free_port() {
  python3 - "${1:-127.0.0.1}" <<'EOF'
import socket, sys
addr = sys.argv[1]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.bind((addr, 0))
print(s.getsockname()[1])
s.close()
EOF
}

# tcp_listening PORT: true when some socket listens on TCP PORT (any address).
tcp_listening() {
  ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# start_port_listener NAME CMD ARGS... : start CMD ARGS in the background, with every
# "@PORT@" in the arguments replaced by a free TCP port on 127.0.0.1, and wait (5 s) until
# that port listens; retries with another port when CMD exits (e.g. cannot bind).
# Sets LISTENER_PID and LISTENER_PORT; CMD's stderr goes to $TMP/NAME.<port>.err. CMD may
# be a shell function (tsocat). Stdout/stdin are those of this call, so redirect them:
#   start_port_listener rx tsocat -u TCP-LISTEN:@PORT@ STDOUT >"$TMP/out" </dev/null
# shellcheck disable=SC2034 # LISTENER_PID and LISTENER_PORT are for the caller
start_port_listener() {
  local name=$1 port args a i
  shift
  for _ in 1 2 3 4 5; do
    port=$(free_port 127.0.0.1)
    args=()
    for a in "$@"; do args+=("${a//@PORT@/$port}"); done
    "${args[@]}" 2>"$TMP/$name.$port.err" &
    LISTENER_PID=$!
    LISTENER_PORT=$port
    for ((i = 0; i < 50; i++)); do
      if tcp_listening "$port"; then
        # Someone listens there; make sure it is ours and it did not just fail to bind.
        sleep 0.05
        kill -0 "$LISTENER_PID" 2>/dev/null && return 0
        break
      fi
      kill -0 "$LISTENER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill_tree "$LISTENER_PID"
    wait "$LISTENER_PID" 2>/dev/null || true
  done
  show_file "$name stderr" "$TMP/$name.$port.err"
  fail "could not start a listener: ${args[*]}"
}

# start_socat_listener ARGS... : start_port_listener for `socat ARGS` (under the timeout).
# Sets SOCAT_PID and SOCAT_PORT; socat's stderr goes to $TMP/socat.<port>.err.
#   start_socat_listener -u TCP-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr STDOUT >"$TMP/out" </dev/null
# shellcheck disable=SC2034 # SOCAT_PID and SOCAT_PORT are for the caller
start_socat_listener() {
  start_port_listener socat tsocat "$@"
  SOCAT_PID=$LISTENER_PID
  SOCAT_PORT=$LISTENER_PORT
}

# ---------------------------------------------------------------------------
# Checksums

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# assert_same_sha256 EXPECTED_FILE ACTUAL_FILE [WHAT]
assert_same_sha256() {
  local a b
  a=$(sha256_of "$1")
  b=$(sha256_of "$2")
  if [[ $a != "$b" ]]; then
    fail "${3:-$2}: sha256 differs: expected $a ($(stat -c %s "$1") bytes), got $b ($(stat -c %s "$2") bytes)"
  fi
}

# ---------------------------------------------------------------------------
# JSON lines

# json_events FILE: print the "event" names in a JSON-lines file, one per line.
json_events() {
  python3 - "$1" <<'EOF'
import json, sys
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    line = line.strip()
    if not line:
        continue
    try:
        obj = json.loads(line)
    except ValueError:
        continue
    if isinstance(obj, dict) and "event" in obj:
        print(obj["event"])
EOF
}

# count_events FILE NAME [KEY=VALUE...]: how many events of that name (whose fields
# KEY equal VALUE, compared as strings).
count_events() {
  python3 - "$@" <<'EOF'
import json, sys
path, name, conds = sys.argv[1], sys.argv[2], [a.split("=", 1) for a in sys.argv[3:]]
n = 0
for line in open(path, encoding="utf-8", errors="replace"):
    try:
        obj = json.loads(line)
    except ValueError:
        continue
    if not isinstance(obj, dict) or obj.get("event") != name:
        continue
    if all(k in obj and str(obj[k]) == v for k, v in conds):
        n += 1
print(n)
EOF
}

# ---------------------------------------------------------------------------
# Network namespaces (need root)

_NETNS_SEQ=0

# netns_pair NAME_A NAME_B ADDR_A ADDR_B
#   Makes two namespaces, "taps-NAME_A-$$-N" and "taps-NAME_B-$$-N" (N counts the pairs of
#   this test), joined by a veth pair that is called "veth0" inside each namespace, with
#   ADDR_A / ADDR_B on it (CIDR; default prefix /24 for IPv4, /64 for IPv6; IPv6 without
#   DAD), lo and veth0 up, and routes for 224.0.0.0/4 and ff00::/8 on veth0. Sets NS_A and
#   NS_B to the namespace names; both are deleted by the cleanup trap. ADDR may be "-" for
#   none. Run a command inside with `ns_exec "$NS_A" cmd...`.
netns_pair() {
  need_root
  need_cmd ip
  local name_a=$1 name_b=$2 addr_a=$3 addr_b=$4
  _NETNS_SEQ=$((_NETNS_SEQ + 1))
  NS_A="taps-$name_a-$$-$_NETNS_SEQ"
  NS_B="taps-$name_b-$$-$_NETNS_SEQ"
  # Interface names in the root namespace are at most 15 characters and must be unique
  # across parallel tests: "tv" + pid + "a|b" + seq, renamed to veth0 once moved.
  local va="tv$$a$_NETNS_SEQ" vb="tv$$b$_NETNS_SEQ"
  ((${#va} <= 15)) || fail "veth name too long: $va"
  ip netns add "$NS_A" || fail "ip netns add $NS_A"
  _CLEANUP_NETNS+=("$NS_A")
  ip netns add "$NS_B" || fail "ip netns add $NS_B"
  _CLEANUP_NETNS+=("$NS_B")
  ip link add "$va" type veth peer name "$vb" || fail "ip link add $va type veth peer name $vb"
  ip link set "$va" netns "$NS_A" || { ip link del "$va" 2>/dev/null; fail "moving $va"; }
  ip link set "$vb" netns "$NS_B" || fail "moving $vb"
  ip -n "$NS_A" link set "$va" name veth0
  ip -n "$NS_B" link set "$vb" name veth0
  local ns addr
  for ns in "$NS_A" "$NS_B"; do
    ip -n "$ns" link set lo up
    ip -n "$ns" link set veth0 up
  done
  _netns_addr "$NS_A" "$addr_a"
  _netns_addr "$NS_B" "$addr_b"
  for ns in "$NS_A" "$NS_B"; do
    ip -n "$ns" route add 224.0.0.0/4 dev veth0 2>/dev/null || true
    ip -n "$ns" -6 route add ff00::/8 dev veth0 table main 2>/dev/null || true
  done
}

_netns_addr() {
  local ns=$1 addr=$2
  [[ $addr == - || -z $addr ]] && return 0
  if [[ $addr == */* ]]; then :; elif [[ $addr == *:* ]]; then addr="$addr/64"; else addr="$addr/24"; fi
  if [[ $addr == *:* ]]; then
    ip -n "$ns" -6 addr add "$addr" dev veth0 nodad || fail "adding $addr in $ns"
  else
    ip -n "$ns" addr add "$addr" dev veth0 || fail "adding $addr in $ns"
  fi
}

# ns_exec NS CMD...: run a command inside a namespace.
ns_exec() {
  local ns=$1
  shift
  ip netns exec "$ns" "$@"
}

# ns_nft NS RULESET: load an nftables ruleset (a string) inside a namespace, e.g.
#   ns_nft "$NS_B" 'table inet t { chain in { type filter hook input priority 0; udp dport 5000 numgen random mod 100 < 10 drop; } }'
ns_nft() {
  need_cmd nft
  ip netns exec "$1" nft -f - <<<"$2" || fail "nft in $1: $2"
}

# ---------------------------------------------------------------------------
# Multicast (taps-mcast-recv)

TAPS_MCAST_RECV=${TAPS_MCAST_RECV:-$TAPS_SOURCE_DIR/build/dev/apps/taps-mcast-recv/taps-mcast-recv}

# mcast_recv NS ARGS...: taps-mcast-recv inside NS under the timeout.
mcast_recv() {
  local ns=$1
  shift
  [[ -x $TAPS_MCAST_RECV ]] || fail "taps-mcast-recv not found: TAPS_MCAST_RECV=$TAPS_MCAST_RECV"
  ip netns exec "$ns" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_MCAST_RECV" "$@"
}

# wait_for_event FILE EVENT [N] [PID]: poll the JSON lines of FILE (up to 5 s) until it
# holds N (default 1) EVENT events; with PID, fail early if that process exits.
wait_for_event() {
  local file=$1 event=$2 n=${3:-1} pid=${4:-} i
  for ((i = 0; i < 50; i++)); do
    if [[ -s $file ]] && (($(grep -c "\"event\":\"$event\"" "$file" || true) >= n)); then return 0; fi
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      show_file "stderr" "$file"
      fail "process $pid exited before $n '$event' event(s)"
    fi
    sleep 0.1
  done
  show_file "stderr" "$file"
  fail "no $n '$event' event(s) in $file within 5 s"
}

# json_field FILE EVENT FIELD [KEY=VALUE...]: FIELD of the last EVENT (matching KEY=VALUE).
json_field() {
  python3 - "$@" <<'PY'
import json, sys
path, name, field, conds = sys.argv[1], sys.argv[2], sys.argv[3], [a.split("=", 1) for a in sys.argv[4:]]
value = ""
for line in open(path, encoding="utf-8", errors="replace"):
    try:
        obj = json.loads(line)
    except ValueError:
        continue
    if isinstance(obj, dict) and obj.get("event") == name and all(str(obj.get(k)) == v for k, v in conds):
        value = obj.get(field, "")
print(value)
PY
}

# mcast_send NS SOURCE GROUP PORT COUNT [PPS] [ORDER]: a python3 sender bound to SOURCE
# sends COUNT datagrams of 1200 bytes to GROUP:PORT (hop limit 1), each starting with its
# sequence number (32 bits, network order), paced at PPS (default 5000). ORDER, a comma
# separated list of sequence numbers, is sent instead of 0..COUNT-1 (reordering, duplicates).
mcast_send() {
  local ns=$1 source=$2 group=$3 port=$4 count=$5 pps=${6:-5000} order=${7:-}
  ip netns exec "$ns" python3 - "$source" "$group" "$port" "$count" "$pps" "$order" <<'PY'
import socket, struct, sys, time
source, group, port, count, pps, order = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
family = socket.AF_INET6 if ":" in group else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
s.bind((source, 0))
seqs = [int(x) for x in order.split(",")] if order else range(count)
pad = b"x" * (1200 - 4)
start = time.monotonic()
for i, seq in enumerate(seqs):
    while True:
        try:
            s.sendto(struct.pack("!I", seq) + pad, (group, port))
            break
        except BlockingIOError:
            time.sleep(0.001)
    if i % 50 == 49:
        ahead = (i + 1) / pps - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
PY
}

# ---------------------------------------------------------------------------
# Multicast sending (taps-mcast-send)

TAPS_MCAST_SEND=${TAPS_MCAST_SEND:-$TAPS_SOURCE_DIR/build/dev/apps/taps-mcast-send/taps-mcast-send}

# mcast_sender NS ARGS...: taps-mcast-send inside NS under the timeout.
mcast_sender() {
  local ns=$1
  shift
  [[ -x $TAPS_MCAST_SEND ]] || fail "taps-mcast-send not found: TAPS_MCAST_SEND=$TAPS_MCAST_SEND"
  ip netns exec "$ns" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_MCAST_SEND" "$@"
}

# udp_counter NS NAME: a counter of the Udp: line of /proc/net/snmp inside NS
# (InDatagrams, RcvbufErrors, OutDatagrams, ...).
udp_counter() {
  ip netns exec "$1" awk -v name="$2" '$1 == "Udp:" { if (!n) { for (i = 2; i <= NF; i++) col[$i] = i; n = 1 } else print $col[name] }' /proc/net/snmp
}

# within_percent VALUE TARGET PERCENT: true when |VALUE - TARGET| <= PERCENT % of TARGET.
within_percent() {
  python3 -c 'import sys; v, t, p = map(float, sys.argv[1:]); sys.exit(0 if abs(v - t) <= t * p / 100 else 1)' "$1" "$2" "$3"
}

# ---------------------------------------------------------------------------
# Golden event streams (testdata/golden/)

# assert_json_golden NAME FILE: the --json events in FILE have the kinds, field names,
# field order and value types of testdata/golden/NAME.jsonl (values are not compared;
# see tests/cli/json_golden.py).
assert_json_golden() {
  local golden="$TAPS_SOURCE_DIR/testdata/golden/$1.jsonl"
  [[ -f $golden ]] || fail "no golden file $golden"
  python3 "$CLI_LIB_DIR/json_golden.py" "$golden" "$2" 2>"$TMP/golden.err" ||
    { cat "$TMP/golden.err" >&2; fail "$2 does not match the golden events of $1 (fields, order, types)"; }
}
