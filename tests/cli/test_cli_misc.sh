#!/usr/bin/env bash
# --help, --version, --print-config, --json event stream, and a stdout that closes early.
source "$(dirname "$0")/lib.sh"
need_cmd socat python3 ss

# --- --help ---------------------------------------------------------------------------
rc=0
tc --help >"$TMP/help.out" 2>"$TMP/help.err" </dev/null || rc=$?
[[ $rc == 0 ]] || fail "--help exit $rc"
for want in Examples -l -k -e --udp --json; do
  grep -qF -- "$want" "$TMP/help.out" || { show_file "--help stdout" "$TMP/help.out"; fail "--help does not mention '$want' on stdout"; }
done
note "--help: ok"

# --- --version ------------------------------------------------------------------------
rc=0
tc --version >"$TMP/version.out" 2>"$TMP/version.err" </dev/null || rc=$?
[[ $rc == 0 ]] || fail "--version exit $rc"
grep -qE '[0-9]+\.[0-9]+' "$TMP/version.out" || { show_file "--version stdout" "$TMP/version.out"; fail "--version prints no version number"; }
note "--version: ok ($(head -n1 "$TMP/version.out"))"

# --- --print-config --udp -------------------------------------------------------------
rc=0
tc --udp --print-config 127.0.0.1 9 >"$TMP/pc.out" 2>"$TMP/pc.err" </dev/null || rc=$?
[[ $rc == 0 ]] || { show_file "stderr" "$TMP/pc.err"; fail "--print-config exit $rc"; }
python3 - "$TMP/pc.out" <<'PY' || { show_file "--print-config stdout" "$TMP/pc.out"; fail "--print-config --udp output is not the expected JSON"; }
import json, sys
cfg = json.load(open(sys.argv[1]))
def find(o, key):
    if isinstance(o, dict):
        if key in o:
            return o[key]
        for v in o.values():
            r = find(v, key)
            if r is not None:
                return r
    elif isinstance(o, list):
        for v in o:
            r = find(v, key)
            if r is not None:
                return r
    return None
rel = find(cfg, "reliability")
assert rel is not None, "no 'reliability' in the configuration"
# UDP: reliability must not be required.
assert rel != "require", "reliability is 'require' with --udp"
PY
note "--print-config --udp: ok"

# --- --print-config toward a group: the hop limit is printed and reads back the same ---------
tc --udp --ttl 5 --print-config 239.1.1.1 5000 >"$TMP/mc1.json" </dev/null || fail "--print-config --ttl 5 failed"
grep -q '"_taps.multicastHopLimit": 5' "$TMP/mc1.json" || { show_file "--print-config --ttl 5" "$TMP/mc1.json"; fail "no hop limit 5 printed"; }
tc --config "$TMP/mc1.json" --print-config 239.1.1.1 5000 >"$TMP/mc2.json" </dev/null || fail "--config of a printed config failed"
cmp -s "$TMP/mc1.json" "$TMP/mc2.json" || { show_file "read back" "$TMP/mc2.json"; fail "the printed multicast config does not read back the same"; }
note "--print-config --ttl 5: printed and read back: ok"

# --- --json on a client run -----------------------------------------------------------
# check_events FILE HOSTNAME_USED(0|1) PORT: every line is a JSON object with a float "t"
# and a string "event"; attempt < ready < closed; with a host name, resolve comes first.
check_events() {
  python3 - "$@" <<'PY'
import json, sys
path, named, port = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
events = []
for n, line in enumerate(open(path, encoding="utf-8"), 1):
    try:
        obj = json.loads(line)
    except ValueError as e:
        sys.exit("line %d is not JSON (%s): %r" % (n, e, line))
    if not isinstance(obj, dict):
        sys.exit("line %d is not an object: %r" % (n, line))
    if not isinstance(obj.get("t"), float):
        sys.exit("line %d: \"t\" missing or not a float: %r" % (n, line))
    if not isinstance(obj.get("event"), str):
        sys.exit("line %d: \"event\" missing or not a string: %r" % (n, line))
    events.append(obj)
names = [e["event"] for e in events]
ts = [e["t"] for e in events]
if ts != sorted(ts):
    sys.exit("\"t\" goes backwards: %r" % ts)
for need in ("attempt", "ready", "closed"):
    if need not in names:
        sys.exit("no %r event in %r" % (need, names))
ia, ir, ic = names.index("attempt"), names.index("ready"), names.index("closed")
if not ia < ir < ic:
    sys.exit("expected attempt < ready < closed, got %r" % names)
if named:
    if "resolve" not in names or names.index("resolve") > ia:
        sys.exit("with a host name, expected resolve before attempt, got %r" % names)
ready = events[ir]
for k in ("id", "stack", "remote", "local"):
    if k not in ready:
        sys.exit("ready event without %r: %r" % (k, ready))
if ready["stack"] != "tcp":
    sys.exit("ready stack is %r, expected 'tcp'" % ready["stack"])
if ready["remote"] != "127.0.0.1:" + port:
    sys.exit("ready remote is %r, expected 127.0.0.1:%s" % (ready["remote"], port))
att = [e for e in events if e["event"] == "attempt"]
if ready["id"] not in [a.get("id") for a in att]:
    sys.exit("ready id %r is not the id of an attempt" % ready["id"])
for a in att:
    for k in ("id", "stack", "remote"):
        if k not in a:
            sys.exit("attempt event without %r: %r" % (k, a))
bad = [e["event"] for e in events if e["event"] in ("connection_error", "establishment_error")]
if bad:
    sys.exit("unexpected %r" % bad)
print(" ".join(names))
PY
}

for host in 127.0.0.1 localhost; do
  start_socat_listener TCP-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr SYSTEM:cat </dev/null >/dev/null
  rc=0
  printf 'x' | tc --json "$host" "$SOCAT_PORT" >"$TMP/json.out" 2>"$TMP/json.err" || rc=$?
  [[ $rc == 0 ]] || { show_file "stderr" "$TMP/json.err"; fail "--json client ($host) exit $rc"; }
  assert_file_eq x "$TMP/json.out" "--json client ($host) stdout"
  named=0
  [[ $host == localhost ]] && named=1
  seq=$(check_events "$TMP/json.err" "$named" "$SOCAT_PORT") ||
    { show_file "stderr" "$TMP/json.err"; fail "--json client ($host): bad event stream: $seq"; }
  note "--json client ($host): ok: $seq"
  wait "$SOCAT_PID" 2>/dev/null || true
done

# --- stdout closed early (SIGPIPE) ---------------------------------------------------
# The peer sends 10 MiB; stdout is `head -c 10`. taps-cat must notice promptly (stdin is
# still open), say so in one line on stderr, and not die silently of SIGPIPE (141).
start_socat_listener -u OPEN:/dev/zero,readbytes=10485760 TCP-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr \
  </dev/null >/dev/null
fifo_from sleep 20
t0=$(now_ms)
set +e
tc 127.0.0.1 "$SOCAT_PORT" <"$FIFO" 2>"$TMP/pipe.err" | head -c 10 >"$TMP/pipe.out"
st=("${PIPESTATUS[@]}")
set -e
elapsed=$(($(now_ms) - t0))
rc=${st[0]}
assert_eq 10 "$(stat -c %s "$TMP/pipe.out")" "bytes through head -c 10"
[[ $rc != 141 ]] || { show_file "stderr" "$TMP/pipe.err"; fail "taps-cat was killed by SIGPIPE (exit 141)"; }
((rc < 124)) || { show_file "stderr" "$TMP/pipe.err"; fail "taps-cat exit $rc (timeout or signal) after stdout closed"; }
((elapsed < 5000)) || fail "taps-cat took ${elapsed} ms to notice that stdout closed (limit 5 s)"
nl=$(grep -c . "$TMP/pipe.err" || true)
if [[ $nl != 1 ]] || ! grep -qiE 'stdout|standard output|pipe' "$TMP/pipe.err"; then
  show_file "stderr" "$TMP/pipe.err"
  fail "expected one line on stderr about stdout closing, got $nl line(s)"
fi
grep -qE 'terminate called|Sanitizer|runtime error:' "$TMP/pipe.err" && fail "crash output on stderr"
note "stdout closed early: ok (exit $rc after ${elapsed} ms: $(cat "$TMP/pipe.err"))"

echo PASS
