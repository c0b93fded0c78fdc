#!/usr/bin/env bash
# The tool frame every executable shares (issue 15 item 1): --help with our metavariables
# only and the exit codes listed; usage errors that name our option and say what to do,
# never CLI11's own wording; --version; the option table that completion is made from.
source "$(dirname "$0")/lib.sh"

declare -A binary=(
  [taps-cat]=$TAPS_CAT
  [taps-mcast-recv]=${TAPS_MCAST_RECV:?}
  [taps-mcast-send]=${TAPS_MCAST_SEND:?}
  [ambi-manifest-send]=${AMBI_SEND:?}
  [ambi-verify]=${AMBI_VERIFY:?}
)
# An option of each tool that takes a value, given without one.
declare -A valued=([taps-cat]=--timeout [taps-mcast-recv]=--duration [taps-mcast-send]=--ttl
                   [ambi-manifest-send]=--ttl [ambi-verify]=--duration)
cli11_wording='required but received|was not expected|Could not convert|excludes|is required$|Exactly 1 option'

# usage_error TOOL EXPECTED ARGS...: exit 1, the tool's name, EXPECTED, the --help hint.
usage_error() {
  local tool=$1 expected=$2 status=0
  shift 2
  "${binary[$tool]}" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null || status=$?
  assert_eq 1 "$status" "$tool $* exit code"
  [[ ! -s $TMP/out ]] || fail "$tool $*: wrote to stdout"
  grep -qF "$tool: $expected" "$TMP/err" || { show_file stderr "$TMP/err"; fail "$tool $*: no '$expected'"; }
  grep -qF "Try '$tool --help' for more information." "$TMP/err" || fail "$tool $*: no --help hint"
  if grep -qE "$cli11_wording" "$TMP/err"; then show_file stderr "$TMP/err"; fail "$tool $*: CLI11's wording"; fi
}

for tool in "${!binary[@]}"; do
  bin=${binary[$tool]}
  "$bin" --help >"$TMP/help"
  if grep -E '^ +-.*[ ,](TEXT|INT|UINT|FLOAT|NUMBER|BOOLEAN|ENUM)( |$)' "$TMP/help"; then
    fail "$tool --help shows a CLI11 metavariable"
  fi
  grep -q '^Exit codes' "$TMP/help" || fail "$tool --help does not list its exit codes"
  for option in --json --verbose --version --help; do
    grep -qE -- "[ ,]$option( |$)" "$TMP/help" || fail "$tool --help lacks $option"
  done

  usage_error "$tool" "unknown option '--bogus'" --bogus
  usage_error "$tool" "unknown option '--jsn' (did you mean --json?)" --jsn
  usage_error "$tool" "--json and --verbose cannot be used together" --json -v
  usage_error "$tool" "${valued[$tool]} needs a value" "${valued[$tool]}"

  "$bin" --version >"$TMP/version"
  head -n1 "$TMP/version" | grep -qE "^$tool [0-9]+\.[0-9]+\.[0-9]+$" || fail "$tool --version first line"
  grep -q '^commit ' "$TMP/version" || fail "$tool --version has no commit"
  grep -q '^OpenSSL ' "$TMP/version" || fail "$tool --version has no OpenSSL version"

  "$bin" --list-options >"$TMP/table"
  grep -qP '^--json\t$' "$TMP/table" || fail "$tool --list-options lacks --json"
  grep -qP '^--config\tFILE$' "$TMP/table" || fail "$tool --list-options lacks --config FILE"
  if grep -q -- '--list-options' "$TMP/help"; then fail "$tool --help shows the internal --list-options"; fi
done

# Tool-specific spellings of the same rules.
usage_error taps-cat "unexpected argument 'c'" host 1 c
usage_error taps-mcast-send "--ttl 'abc' is not a hop limit" --ttl abc 239.1.1.1 5001
usage_error ambi-verify "--port 'abc' is not a valid PORT" --port abc
usage_error ambi-verify "unexpected argument 'extra'" extra
# A required option is named with what it is, after misspellings are reported.
usage_error ambi-manifest-send "--source ADDR is required" -g 232.1.1.1
usage_error ambi-manifest-send "unknown option '--sourc' (did you mean --source?)" --sourc 10.0.0.1
# --config errors name the option, for every tool alike.
usage_error taps-cat "--config: " --config "$TMP/none.json" host 1
usage_error ambi-verify "--config: " --config "$TMP/none.json" -s 10.0.0.1 -g 232.1.1.1 -p 1 \
  --manifest ambi+tls://10.0.0.1:1
note "ok: ${#binary[@]} tools share the frame"
