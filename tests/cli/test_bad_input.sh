#!/usr/bin/env bash
# Bad input: the right exit code, one line on stderr naming the problem (a second line
# may be a usage hint starting with "Try" or "Run"), nothing on stdout, no crash.
source "$(dirname "$0")/lib.sh"
need_cmd python3

closed_port=$(free_port 127.0.0.1) # nothing listens there (it was free a moment ago)

printf '{\n  "transportProperties": {\n    "reliability": "require",\n  }\n}\n' >"$TMP/bad.json"
printf '{"remoteEndpoints": [{"hostName": "localhost\\u0000.evil.example", "port": 443}]}\n' >"$TMP/nul.json"
printf 'not a certificate\n' >"$TMP/junk.pem"

# name | expected exit | stderr must match (extended regex, case-insensitive) | args...
cases=(
  "unknown-host|2|no-such-host\.invalid|no-such-host.invalid 80"
  "port-70000|1|70000|127.0.0.1 70000"
  "missing-config|1|/nonexistent\.json|--config /nonexistent.json 127.0.0.1 80"
  "bad-json-config|1|line[^0-9]*4.*col(umn)?[^0-9]*[0-9]+|--config $TMP/bad.json 127.0.0.1 80"
  "unknown-option|1|--bogus|--bogus 127.0.0.1 80"
  "connection-refused|2|refused|127.0.0.1 $closed_port"
  "missing-port|1|port|127.0.0.1"
  "listen-missing-port|1|port|-l"
  "udp-and-tcp|1|udp|--udp --tcp 127.0.0.1 80"
  "v6-only-v4-literal|2|no IPv6 address.*127\.0\.0\.1 is IPv4|-6 127.0.0.1 $closed_port"
  "unknown-zone|1|no interface 'nosuchif'|fe80::1%nosuchif 80"
  "nul-in-host-name|1|NUL|--config $TMP/nul.json"
  "missing-ca-file|1|cannot read /nonexistent/ca\.pem: No such file|--tls --ca /nonexistent/ca.pem 127.0.0.1 443"
  "ca-not-pem|1|junk\.pem.*not a PEM file|--tls --ca $TMP/junk.pem 127.0.0.1 443"
  "max-message-negative|1|--max-message '-1'|--framer lp --max-message -1 127.0.0.1 80"
)

failures=0
for c in "${cases[@]}"; do
  IFS='|' read -r name want pattern argstr <<<"$c"
  read -r -a args <<<"$argstr"
  rc=0
  tc "${args[@]}" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
  problems=()
  [[ $rc == "$want" ]] || problems+=("exit $rc, expected $want")
  ((rc < 124)) || problems+=("exit $rc: timeout, crash or signal")
  [[ ! -s $TMP/$name.out ]] || problems+=("stdout not empty: $(head -c 200 "$TMP/$name.out" | cat -v)")
  nlines=$(wc -l <"$TMP/$name.err")
  # A last line without a newline counts too.
  [[ -s $TMP/$name.err && $(tail -c1 "$TMP/$name.err" | od -An -c | tr -d ' ') != '\n' ]] && nlines=$((nlines + 1))
  if ((nlines == 0)); then
    problems+=("nothing on stderr")
  elif ((nlines == 2)); then
    sed -n 2p "$TMP/$name.err" | grep -qE '^(Try|Run)' || problems+=("2 lines on stderr, the second is not a usage hint (Try/Run ...)")
  elif ((nlines > 2)); then
    problems+=("$nlines lines on stderr, expected 1 (+ an optional usage hint)")
  fi
  if grep -qE 'terminate called|Sanitizer|runtime error:|Aborted|core dumped' "$TMP/$name.err"; then
    problems+=("crash output on stderr")
  fi
  head -n1 "$TMP/$name.err" | grep -qiE -- "$pattern" || problems+=("first stderr line does not match /$pattern/")
  if ((${#problems[@]})); then
    failures=$((failures + 1))
    echo "FAIL case $name: taps-cat ${args[*]}" >&2
    printf '   - %s\n' "${problems[@]}" >&2
    show_file "stderr" "$TMP/$name.err"
  else
    note "ok: $name (exit $rc): $(head -n1 "$TMP/$name.err")"
  fi
done

((failures == 0)) || fail "$failures bad-input case(s) failed"
echo PASS
