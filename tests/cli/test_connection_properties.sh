#!/usr/bin/env bash
# RFC 9622 connection properties in a --config file: --print-config shows every one
# (defaults included) and reads back what it printed; a read-only property or a bad
# value is a usage error (exit 1) that names the JSON path; and taps-cat applies them:
# the keep-alive timer that ss(8) shows (getsockopt checks of every socket option are in
# the integration tests).
source "$(dirname "$0")/lib.sh"
need_cmd python3

cat >"$TMP/props.json" <<'JSON'
{"transportProperties": {"keepAlive": "require", "keepAliveTimeout": 17, "connTimeout": 9000,
                         "connCapacityProfile": "scavenger", "maxSendRate": 80000000,
                         "groupConnLimit": 3, "isolateSession": true, "tcp.userTimeoutValue": 21}}
JSON
rc=0
tc --config "$TMP/props.json" --print-config 127.0.0.1 9 >"$TMP/a.json" 2>"$TMP/a.err" </dev/null || rc=$?
[[ $rc == 0 ]] || { show_file stderr "$TMP/a.err"; fail "--print-config exit $rc"; }
python3 - "$TMP/a.json" <<'PY' || { show_file "--print-config" "$TMP/a.json"; fail "a) --print-config lacks the connection properties"; }
import json, sys
p = json.load(open(sys.argv[1]))["transportProperties"]
want = {"connPriority": 100, "connTimeout": 9000, "keepAliveTimeout": 17, "connScheduler": "weightedFairQueueing",
        "connCapacityProfile": "scavenger", "minSendRate": None, "maxSendRate": 80000000, "groupConnLimit": 3,
        "isolateSession": True, "tcp.userTimeoutValue": 21, "tcp.userTimeoutEnabled": False,
        "tcp.userTimeoutChangeable": True}
for k, v in want.items():
    assert k in p and p[k] == v, (k, p.get(k), v)
PY
# What it printed reads back to the same configuration.
tc --config "$TMP/a.json" --print-config 127.0.0.1 9 >"$TMP/b.json" 2>"$TMP/b.err" </dev/null ||
  { show_file stderr "$TMP/b.err"; fail "a) --print-config output is not a valid --config"; }
cmp -s "$TMP/a.json" "$TMP/b.json" || fail "a) --print-config of its own output differs"
note "a) print-config round trip: ok"

check_usage_error() {
  local json=$1 expected=$2 rc=0
  printf '%s\n' "$json" >"$TMP/bad.json"
  tc --config "$TMP/bad.json" 127.0.0.1 9 </dev/null >/dev/null 2>"$TMP/bad.err" || rc=$?
  [[ $rc == 1 ]] || { show_file stderr "$TMP/bad.err"; fail "b) $json: exit $rc, expected 1"; }
  grep -qF -- "$expected" "$TMP/bad.err" || { show_file stderr "$TMP/bad.err"; fail "b) $json: no '$expected'"; }
}
check_usage_error '{"transportProperties": {"canSend": false}}' '$.transportProperties.canSend: canSend is read-only'
check_usage_error '{"transportProperties": {"connCapacityProfile": "turbo"}}' 'connCapacityProfile: expected one of default, scavenger'
check_usage_error '{"transportProperties": {"keepAliveTimout": 5}}' 'did you mean keepAliveTimeout?'
note "b) errors name the property: ok"

# --- c) keepAlive + keepAliveTimeout reach taps-cat's socket: ss -o shows its timer ---
need_cmd ss socat
start_socat_listener -u TCP-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr OPEN:/dev/null </dev/null >/dev/null
fifo_from sleep 5
tc --config "$TMP/props.json" 127.0.0.1 "$SOCAT_PORT" <"$FIFO" >/dev/null 2>"$TMP/c.err" &
CLIENT=$!
for _ in $(seq 50); do
  ss -Htno state established "dport = :$SOCAT_PORT" | grep -q keepalive && break
  sleep 0.1
done
line=$(ss -Htno state established "dport = :$SOCAT_PORT")
[[ $line == *"timer:(keepalive,"* ]] || { note "ss: $line"; fail "c) no keepalive timer on taps-cat's socket"; }
# The first probe is due within keepAliveTimeout (17 s).
secs=$(sed -n 's/.*timer:(keepalive,\([0-9.]*\)\(m\?s\)\?.*/\1/p' <<<"$line")
[[ -n $secs ]] || { note "ss: $line"; fail "c) cannot read the keepalive timer"; }
python3 -c "import sys; t=float(sys.argv[1]); sys.exit(0 if 0 < t <= 17 else 1)" "$secs" ||
  { note "ss: $line"; fail "c) keepalive timer $secs, expected at most keepAliveTimeout (17 s)"; }
kill_tree "$CLIENT"
wait "$CLIENT" 2>/dev/null || true
note "c) keepalive timer on the socket: $secs s: ok"
