# shellcheck shell=bash
# Helpers for the AMBI tests (tests/cli/test_ambi_*.sh), sourced after lib.sh and
# tls_lib.sh:
#
#   ambi_setup NAME S_ADDR V_ADDR     two namespaces: the sender S in $NS_A, the verifier
#                                     in $NS_B; certificates for S in $CERTS
#   ambi_scenario NAME [ARGS...]      one scenario of ambi_peer.py against ambi-verify
#
# Environment: AMBI_SEND, AMBI_VERIFY (ctest sets them).

AMBI_SEND=${AMBI_SEND:-$TAPS_SOURCE_DIR/build/dev/ambi-tools/ambi-manifest-send/ambi-manifest-send}
AMBI_VERIFY=${AMBI_VERIFY:-$TAPS_SOURCE_DIR/build/dev/ambi-tools/ambi-verify/ambi-verify}
AMBI_PEER=$CLI_LIB_DIR/ambi_peer.py
[[ -x $AMBI_SEND ]] || fail "ambi-manifest-send not found: AMBI_SEND=$AMBI_SEND"
[[ -x $AMBI_VERIFY ]] || fail "ambi-verify not found: AMBI_VERIFY=$AMBI_VERIFY"

# The stream of the scenarios; tests may change them before ambi_scenario.
AMBI_GROUP=232.77.1.1
AMBI_PORT=5001
AMBI_TLS_PORT=4433
AMBI_DATA_HOLD=600
AMBI_DIGEST_HOLD=1500

# ambi_setup NAME S_ADDR V_ADDR: sets AMBI_S (the sender's address, without prefix).
ambi_setup() {
  need_root
  need_cmd python3 openssl
  netns_pair "${1}s" "${1}v" "$2" "$3"
  AMBI_S=${2%/*}
  make_certs "$AMBI_S"
}

# averify NS ARGS...: ambi-verify inside NS under the timeout.
averify() {
  local ns=$1
  shift
  ip netns exec "$ns" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_VERIFY" "$@"
}

# asend NS ARGS...: ambi-manifest-send inside NS under the timeout.
asend() {
  local ns=$1
  shift
  ip netns exec "$ns" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_SEND" "$@"
}

# wait_for_file FILE [SECONDS]: until FILE is not empty (default 10 s).
wait_for_file() {
  local i
  for ((i = 0; i < ${2:-10} * 20; i++)); do
    [[ -s $1 ]] && return 0
    sleep 0.05
  done
  return 1
}

# ambi_scenario NAME [VERIFY_ARGS...]: ambi_peer.py NAME sends in $NS_A and serves the
# manifests; ambi-verify (-o hex --json, plus VERIFY_ARGS) verifies in $NS_B until the
# peer has printed what a correct verifier reports; then the two are compared: the
# verified payloads (as a multiset), every drop counter, and the disconnects. Leaves
# $TMP/NAME.err (ambi-verify's events) for further checks.
ambi_scenario() {
  local name=$1
  shift
  local peer_ca=$CERTS/ca.pem
  rm -f "$TMP/$name.ready"
  ns_exec "$NS_A" python3 "$AMBI_PEER" scenario "$name" --source "$AMBI_S" --group "$AMBI_GROUP" --port "$AMBI_PORT" \
    --listen "$(ambi_uri_host "$AMBI_S"):$AMBI_TLS_PORT" --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
    --data-hold "$AMBI_DATA_HOLD" --digest-hold "$AMBI_DIGEST_HOLD" --ready "$TMP/$name.ready" \
    >"$TMP/$name.expect" 2>"$TMP/$name.peer.err" &
  local peer=$!
  wait_for_file "$TMP/$name.ready" || { show_file "peer stderr" "$TMP/$name.peer.err"; fail "$name: the peer did not start"; }
  # Not through averify: $! must be the process (timeout, which passes TERM on), not a subshell.
  ip netns exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_VERIFY" -s "$AMBI_S" -g "$AMBI_GROUP" -p "$AMBI_PORT" --manifest "ambi+tls://$(ambi_uri_host "$AMBI_S"):$AMBI_TLS_PORT" \
    --ca "$peer_ca" --data-hold-time "$AMBI_DATA_HOLD" --digest-hold-time "$AMBI_DIGEST_HOLD" -o hex --json "$@" \
    >"$TMP/$name.out" 2>"$TMP/$name.err" &
  local verifier=$!
  if ! wait_for_file "$TMP/$name.expect" 30; then
    show_file "peer stderr" "$TMP/$name.peer.err"
    show_file "verifier stderr" "$TMP/$name.err"
    fail "$name: the scenario did not finish"
  fi
  kill -TERM "$verifier" 2>/dev/null || true
  wait_rc "$verifier"
  kill_tree "$peer"
  wait "$peer" 2>/dev/null || true
  if ! python3 - "$TMP/$name.expect" "$TMP/$name.out" "$TMP/$name.err" <<'PY'; then
import collections, json, sys
expect = json.loads(open(sys.argv[1]).read())
got = [l.strip() for l in open(sys.argv[2]) if l.strip()]
events = [json.loads(l) for l in open(sys.argv[3]) if l.startswith("{")]
stats = [e for e in events if e["event"] == "stats"]
problems = []
if collections.Counter(got) != collections.Counter(expect["verified"]):
    problems.append("verified %d payloads, expected %d; unexpected %s; missing %s" % (
        len(got), len(expect["verified"]),
        [bytes.fromhex(h)[:16] for h in (collections.Counter(got) - collections.Counter(expect["verified"]))],
        [bytes.fromhex(h)[:16] for h in (collections.Counter(expect["verified"]) - collections.Counter(got))]))
if not stats:
    problems.append("no stats event")
else:
    dropped = {k: v for k, v in stats[-1]["dropped"].items() if v}
    if dropped != expect["dropped"]:
        problems.append("dropped %s, expected %s" % (dropped, expect["dropped"]))
    if stats[-1]["verified"] != len(expect["verified"]):
        problems.append("stats.verified %d, expected %d" % (stats[-1]["verified"], len(expect["verified"])))
    per_event = collections.Counter(e["reason"] for e in events if e["event"] == "dropped")
    for e in events:
        if e["event"] == "dropped_summary":
            per_event.update(e["dropped"])
    if dict(per_event) != expect["dropped"]:
        problems.append("dropped events %s, expected %s" % (dict(per_event), expect["dropped"]))
disconnects = sum(1 for e in events if e["event"] == "manifest_channel" and e["state"] == "disconnected")
want = expect["disconnects"]
if disconnects < want or (want == 0 and disconnects):
    problems.append("%d manifest channel disconnects, expected %d" % (disconnects, want))
for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
    show_file "peer stderr" "$TMP/$name.peer.err"
    show_file "verifier events" "$TMP/$name.err"
    fail "$name: the verifier's report differs from the peer's expectation"
  fi
  note "$name: $(json_field "$TMP/$name.err" stats verified) verified, dropped $(json_field "$TMP/$name.err" stats dropped): ok"
}

# ambi_uri_host ADDR: ADDR, bracketed when IPv6.
ambi_uri_host() {
  if [[ $1 == *:* ]]; then echo "[$1]"; else echo "$1"; fi
}
