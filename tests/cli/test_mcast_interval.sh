#!/usr/bin/env bash
# --interval SEC: one row per sender and interval with that interval's own figures (not
# running totals), a final summary row; --timestamps adds the wall clock. Without any
# option, one summary line per sender at exit (and "nothing arrived" for a silent group).
source "$(dirname "$0")/lib.sh"
need_root
need_cmd python3
netns_pair ivA ivB 10.99.40.1 10.99.40.2
group=232.99.40.1
port=5040

# --- JSON: interval events at 500 pps for ~4 s -----------------------------------------
mcast_recv "$NS_B" -s 10.99.40.1 "$group" "$port" -o none --seq u32 --interval 1 --timestamps -t 5 --json \
  >/dev/null 2>"$TMP/rx.err" &
rx=$!
wait_for_event "$TMP/rx.err" join 1 "$rx"
mcast_sender "$NS_A" --source 10.99.40.1 --rate 500 -c 2000 --seq u32 "$group" "$port" 2>/dev/null
wait_rc "$rx"
[[ $RC == 0 ]] || { show_file "receiver" "$TMP/rx.err"; fail "receiver exited $RC"; }
python3 - "$TMP/rx.err" <<'PY' || fail "interval rows are wrong"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"event":"interval"' in l]
summary = [json.loads(l) for l in open(sys.argv[1]) if '"event":"summary"' in l]
assert len(rows) >= 4, f"{len(rows)} interval rows, expected at least 4"
assert len(summary) == 1, f"{len(summary)} summary rows"
for a, b in zip(rows, rows[1:]):
    assert abs(b["start"] - a["end"]) < 1e-6, f"rows do not tile: {a} {b}"
    assert abs(b["end"] - b["start"] - 1) < 0.01, f"a row is not 1 s long: {b}"
full = [r for r in rows if 450 <= r["packets"] <= 550]
assert len(full) >= 2, "no interval with about 500 packets: " + str([r["packets"] for r in rows])
for r in full:
    assert 450 <= r["pps"] <= 550, f"interval pps {r['pps']} does not match its packets"
    assert r["lost"] == 0 and r["duplicates"] == 0 and "jitter_ms" in r and "time" in r, r
assert sum(r["packets"] for r in rows) == summary[0]["packets"] == 2000, "rows do not add up to the summary"
print("rows:", [r["packets"] for r in rows], file=sys.stderr)
PY
note "JSON interval rows: ok"

# --- text rows, and the default summary line -------------------------------------------
mcast_recv "$NS_B" -s 10.99.40.1 "$group" "$port" -o none --stats 1 -c 1000 >/dev/null 2>"$TMP/text.err" &
rx=$!
sleep 0.5
mcast_sender "$NS_A" --source 10.99.40.1 --rate 500 -c 1000 "$group" "$port" 2>/dev/null
wait_rc "$rx"
[[ $RC == 0 ]] || { show_file "receiver" "$TMP/text.err"; fail "--stats 1 receiver exited $RC"; }
grep -Eq '\[ +1\.0- +2\.0 s\] 10\.99\.40\.1:[0-9]+ > 232\.99\.40\.1:5040: [0-9]+ pkts' "$TMP/text.err" || { show_file "stderr" "$TMP/text.err"; fail "no [1.0-2.0 s] row with --stats 1"; }
grep -q '(summary)' "$TMP/text.err" || { show_file "stderr" "$TMP/text.err"; fail "no summary row"; }

mcast_recv "$NS_B" -s 10.99.40.1 "$group" 232.99.40.2 "$port" -o none -c 100 >/dev/null 2>"$TMP/plain.err" &
rx=$!
sleep 0.5
mcast_sender "$NS_A" --source 10.99.40.1 --rate 1000 -c 100 "$group" "$port" 2>/dev/null
wait_rc "$rx"
grep -Eq '10\.99\.40\.1:[0-9]+ > 232\.99\.40\.1:5040: 100 pkts' "$TMP/plain.err" || { show_file "stderr" "$TMP/plain.err"; fail "no summary line without options"; }
grep -q 'nothing arrived for 232.99.40.2:5040' "$TMP/plain.err" || { show_file "stderr" "$TMP/plain.err"; fail "the silent group is not named"; }
note "text rows and default summary: ok"
echo PASS
