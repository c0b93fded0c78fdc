#!/usr/bin/env bash
# tests/cli/json_golden.py, the checker of the golden event streams in testdata/golden/:
# every golden file is valid and matches itself; a stream whose fields are reordered,
# renamed, missing or of another type, or that has an unknown kind or lacks a kind, is
# refused with the reason. (Each tool's real run is checked in its own test.)
source "$(dirname "$0")/lib.sh"
need_cmd python3
checker="$CLI_LIB_DIR/json_golden.py"
golden_dir="$TAPS_SOURCE_DIR/testdata/golden"
n=0
for g in "$golden_dir"/*.jsonl; do
  python3 "$checker" "$g" "$g" || fail "$(basename "$g") does not match itself"
  n=$((n + 1))
done
((n >= 5)) || fail "expected golden files for every tool, found $n"
for tool in taps-cat taps-mcast-recv taps-mcast-send ambi-manifest-send ambi-verify; do
  compgen -G "$golden_dir/$tool*.jsonl" >/dev/null || fail "no golden file for $tool"
done

g="$golden_dir/taps-cat-connect.jsonl"
# refused WHAT REASON: the stream in $TMP/actual is refused, naming REASON.
refused() {
  if python3 "$checker" "$g" "$TMP/actual" 2>"$TMP/why"; then fail "$1: accepted"; fi
  grep -qF "$2" "$TMP/why" || { show_file why "$TMP/why"; fail "$1: the reason lacks '$2'"; }
}
base='{"t":0.001,"event":"attempt","id":1,"stack":"tcp","remote":"[::1]:1"}
{"t":0.002,"event":"ready","id":1,"stack":"tcp","remote":"[::1]:1","local":"[::1]:2"}
{"t":0.003,"event":"closed","bytes_sent":5,"bytes_received":0}'
printf '%s\ntaps-cat: warning: a plain line is skipped\n' "$base" >"$TMP/actual"
python3 "$checker" "$g" "$TMP/actual" || fail "other values, same shapes: refused"
printf '%s\n' "${base/'"bytes_sent":5,"bytes_received":0'/'"bytes_received":0,"bytes_sent":5'}" >"$TMP/actual"
refused "fields reordered" "'closed' has"
printf '%s\n' "${base/'"local"'/'"local_endpoint"'}" >"$TMP/actual"
refused "a field renamed" "'ready' has"
printf '%s\n' "${base/'"stack":"tcp","remote":"[::1]:1"}'/'"stack":"tcp"}'}" >"$TMP/actual"
refused "a field missing" "'attempt' has"
printf '%s\n' "${base/'"id":1,'/'"id":"1",'}" >"$TMP/actual"
refused "a number as a string" "id: string"
printf '%s\n{"t":0.004,"event":"surprise"}\n' "$base" >"$TMP/actual"
refused "an unknown kind" "event 'surprise' is not in the golden file"
grep -v '"closed"' <<<"$base" >"$TMP/actual"
refused "a kind missing" "no 'closed' event"
note "$n golden files; reordered, renamed, missing, retyped, unknown and absent events are refused"
echo PASS
