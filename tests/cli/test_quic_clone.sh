#!/usr/bin/env bash
# QUIC streams from the shell (RFC 9622 section 7.4 over QUIC): `taps-cat --quic --clone 4`
# opens four streams of ONE QUIC connection against `taps-cat -l -k --quic -e cat`, which
# runs one command per stream. stdin lines go to the streams round-robin and come back.
# --json on both sides: every Connection names the same group and its own stream id (0, 4,
# 8, 12: the client's bidirectional streams, RFC 9000 section 2.1); the client reports
# the QUIC connection's statistics as each stream closes. Event shapes are those of
# testdata/golden/taps-cat-quic-clone.jsonl and taps-cat-quic-listen.jsonl.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_cmd openssl python3
make_certs

fifo_from sleep "$TAPS_TIMEOUT"
tc -l -k --quic --cert "$CERTS/server.pem" --key "$CERTS/server.key" --json -e cat 127.0.0.1 0 <"$FIFO" \
  >"$TMP/server.out" 2>"$TMP/server.err" &
SERVE_PID=$!
PORT=$(wait_for_listen_port "$TMP/server.err" "$SERVE_PID")

seq 1 12 | sed 's/^/line /' >"$TMP/in"
expect_exit 0 "taps-cat --quic --clone 4" tc --quic --ca "$CERTS/ca.pem" --clone 4 --json 127.0.0.1 "$PORT" <"$TMP/in"
sort -V "$TMP/stdout" >"$TMP/sorted"
cmp -s "$TMP/in" "$TMP/sorted" || { show_file stdout "$TMP/stdout"; fail "stdout does not hold every line once"; }
wait_for_event "$TMP/server.err" exec_exit 4 "$SERVE_PID"
kill_tree "$SERVE_PID"

# check FILE EVENT COUNT: COUNT events EVENT, all of one group, streams 0 4 8 12.
check() {
  python3 - "$@" <<'PY' || { show_file "$1" "$1"; fail "$2 events of $1"; }
import json, sys
path, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
events = []
for line in open(path, encoding="utf-8", errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if isinstance(e, dict) and e.get("event") == name:
        events.append(e)
groups = {e.get("group") for e in events}
streams = sorted(e.get("stream", -1) for e in events)
ok = len(events) == count and len(groups) == 1 and None not in groups and streams == [0, 4, 8, 12]
print(f"{name}: {len(events)} events, groups {sorted(groups, key=str)}, streams {streams}",
      file=sys.stderr if not ok else sys.stdout)
sys.exit(0 if ok else 1)
PY
}
check "$TMP/stderr" ready 4
check "$TMP/stderr" closed 4
check "$TMP/server.err" connection_received 4
check "$TMP/server.err" closed 4
client_group=$(json_field "$TMP/stderr" ready group)
server_group=$(json_field "$TMP/server.err" connection_received group)
note "client group $client_group, listener group $server_group (numbers are per process)"
assert_eq 4 "$(count_events "$TMP/server.err" exec_exit exit_status=0)" "one cat per stream, each exit 0"

# The statistics of the QUIC connection: RTT measured, a congestion window, losses counted.
python3 - "$TMP/stderr" <<'PY' || { show_file stderr "$TMP/stderr"; fail "statistics events"; }
import json, sys
stats = []
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if isinstance(e, dict) and e.get("event") == "statistics":
        stats.append(e)
assert len(stats) == 4, f"{len(stats)} statistics events, expected one per stream"
for s in stats:
    assert s["min_rtt_us"] > 0 and s["smoothed_rtt_us"] >= s["min_rtt_us"], s
    assert s["cwnd"] > 0 and s["bytes_in_flight"] >= 0 and s["packets_lost"] >= 0, s
print(f"statistics: srtt {stats[-1]['smoothed_rtt_us']} us, min {stats[-1]['min_rtt_us']} us, "
      f"cwnd {stats[-1]['cwnd']}, lost {stats[-1]['packets_lost']}")
PY
assert_json_golden taps-cat-quic-clone "$TMP/stderr"
assert_json_golden taps-cat-quic-listen "$TMP/server.err"
note "4 streams of one QUIC connection, 3 lines each, one cat per stream: ok"
echo PASS
