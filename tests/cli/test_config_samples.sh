#!/usr/bin/env bash
# The sample configuration files of testdata/config/ (issue 15 item 3): each one loads
# (`taps-cat --config F --print-config` exits 0), what it prints loads again and prints
# the same (nothing is lost or invented), its endpoints and framers are those of the file,
# and README.md shows every sample and names no sample that is missing.
source "$(dirname "$0")/lib.sh"
need_cmd python3
dir="$TAPS_SOURCE_DIR/testdata/config"
readme="$TAPS_SOURCE_DIR/README.md"
n=0
for f in "$dir"/*.json; do
  name=$(basename "$f")
  "$TAPS_CAT" --config "$f" --print-config >"$TMP/$name.printed" 2>"$TMP/$name.err" ||
    { show_file stderr "$TMP/$name.err"; fail "$name does not load"; }
  "$TAPS_CAT" --config "$TMP/$name.printed" --print-config >"$TMP/$name.again" 2>"$TMP/$name.err2" ||
    { show_file stderr "$TMP/$name.err2"; fail "$name: the printed configuration does not load"; }
  cmp -s "$TMP/$name.printed" "$TMP/$name.again" || { diff "$TMP/$name.printed" "$TMP/$name.again" >&2; fail "$name: printing is not stable"; }
  python3 - "$f" "$TMP/$name.printed" <<'PY' || fail "$name: the effective configuration differs from the file"
import json, sys
given, printed = (json.load(open(p)) for p in sys.argv[1:])
for key in ("remoteEndpoints", "framers"):
    if given.get(key, []) != printed.get(key, []):
        sys.exit(f"{key}: {given.get(key)} became {printed.get(key)}")
for key, value in given.get("transportProperties", {}).items():
    if printed["transportProperties"].get(key) != value:
        sys.exit(f"transportProperties.{key}: {value} became {printed['transportProperties'].get(key)}")
PY
  grep -qF "testdata/config/$name" "$readme" || fail "README.md does not show testdata/config/$name"
  n=$((n + 1))
done
((n > 0)) || fail "no sample in $dir"
for ref in $(grep -oE 'testdata/config/[A-Za-z0-9_.-]+\.json' "$readme" | sort -u); do
  [[ -f $TAPS_SOURCE_DIR/$ref ]] || fail "README.md names $ref, which does not exist"
done
note "$n sample configurations load, print stably and are in the README"
echo PASS
