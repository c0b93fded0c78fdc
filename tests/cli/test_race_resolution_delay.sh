#!/usr/bin/env bash
# RFC 8305 section 3 against a real, slow DNS server (tests/cli/slow_dns.py) in a
# namespace whose resolv.conf points at it. A answered at once, AAAA 300 ms late: the
# first attempt (IPv4) starts one Resolution Delay (50 ms) after the A answer, long
# before the AAAA answer; with one resolver thread the A query would wait behind AAAA
# and nothing could start before 300 ms. AAAA at once, A 300 ms late: IPv6 starts at once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/race_lib.sh"
need_root
need_cmd socat ss python3

NS="taps-rdelay-$$"
ip netns add "$NS" || fail "ip netns add $NS"
_CLEANUP_NETNS+=("$NS")
ip -n "$NS" link set lo up
ns_hosts "$NS" '127.0.0.1 localhost'
slow_dns_in "$NS" \
  fast4.test/A/127.0.0.1 fast4.test/AAAA/::1/300 \
  fast6.test/A/127.0.0.1/300 fast6.test/AAAA/::1 \
  slow.test/A/127.0.0.1/4000 slow.test/AAAA/::1/4000
# The server outlives every try below, however loaded the machine is.
TAPS_TIMEOUT=240 serve_in "$NS" :: 7000 hello

# field FILE EVENT FIELD KEY=VALUE...: FIELD of the first matching event, or "missing".
first_field() {
  python3 - "$@" <<'PY'
import json, sys
path, name, field, conds = sys.argv[1], sys.argv[2], sys.argv[3], [a.split("=", 1) for a in sys.argv[4:]]
for line in open(path, encoding="utf-8", errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if isinstance(e, dict) and e.get("event") == name and all(str(e.get(k)) == v for k, v in conds):
        print(e.get(field, "missing"))
        sys.exit(0)
print("missing")
PY
}

# ms A B: (B - A) in ms, from two "t" values in seconds.
ms() { python3 -c 'import sys; print("%.1f" % ((float(sys.argv[2]) - float(sys.argv[1])) * 1000))' "$1" "$2"; }

check_a_first() {
  local rc=0
  tc_in "$NS" --json fast4.test 7000 </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
  [[ $rc == 0 ]] || { show_file stderr "$TMP/err"; show_file dns "$TMP/dns.log"; fail "fast4.test: exit $rc"; }
  assert_eq hello "$(cat "$TMP/out")" "stdout"
  local t_a t_attempt delay
  t_a=$(first_field "$TMP/err" resolve t query=A addresses=127.0.0.1)
  t_attempt=$(first_field "$TMP/err" attempt t id=1 remote=127.0.0.1:7000)
  [[ $t_a != missing && $t_attempt != missing ]] || { show_file stderr "$TMP/err"; fail "fast4.test: no A answer or no IPv4 first attempt"; }
  delay=$(ms "$t_a" "$t_attempt")
  RACE_WHY="fast4.test: first attempt at $(ms 0 "$t_attempt") ms, $delay ms after the A answer"
  # The schedule never starts before the Resolution Delay; the upper bounds are far
  # below the 300 ms that a serialised lookup would take.
  within_ms "$delay" 45 200 && within_ms "$(ms 0 "$t_attempt")" 0 250
}

check_aaaa_first() {
  local rc=0
  tc_in "$NS" --json fast6.test 7000 </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
  [[ $rc == 0 ]] || { show_file stderr "$TMP/err"; show_file dns "$TMP/dns.log"; fail "fast6.test: exit $rc"; }
  assert_eq hello "$(cat "$TMP/out")" "stdout"
  local t_aaaa t_attempt gap
  t_aaaa=$(first_field "$TMP/err" resolve t query=AAAA addresses=::1)
  t_attempt=$(first_field "$TMP/err" attempt t id=1 "remote=[::1]:7000")
  [[ $t_aaaa != missing && $t_attempt != missing ]] || { show_file stderr "$TMP/err"; fail "fast6.test: no AAAA answer or no IPv6 first attempt"; }
  assert_eq 0 "$(count_events "$TMP/err" resolve query=A)" "fast6.test: A answers before the win"
  gap=$(ms "$t_aaaa" "$t_attempt")
  RACE_WHY="fast6.test: first attempt at $(ms 0 "$t_attempt") ms, $gap ms after the AAAA answer"
  within_ms "$gap" 0 40 && within_ms "$(ms 0 "$t_attempt")" 0 250
}

race_with_retries 3 check_a_first
note "A at once, AAAA late: $RACE_WHY"
race_with_retries 3 check_aaaa_first
note "AAAA at once, A late: $RACE_WHY"
# While both queries wait, taps-cat is one thread: no resolver thread behind the loop.
tc_in "$NS" --json slow.test 7000 </dev/null >/dev/null 2>"$TMP/slow.err" &
waiter=$!
# The answers come 4 s after the queries.
threads=$(threads_while_asking "$waiter" slow.test)
[[ -n $threads ]] || { show_file dns "$TMP/dns.log"; fail "taps-cat for slow.test did not ask both queries within 5 s"; }
assert_eq 1 "$threads" "threads of taps-cat while it resolves"
# The late answers were taken: the AAAA one at least (the A one comes at the same time,
# and after a quick win on IPv6 it is not shown).
wait_rc "$waiter"
assert_eq 1 "$(count_events "$TMP/slow.err" resolve query=AAAA addresses=::1)" "slow.test: the late AAAA answer"
note "resolving with both answers 4 s late: one thread"
grep -q 'query fast4.test AAAA' "$TMP/dns.log" || { show_file dns "$TMP/dns.log"; fail "the AAAA query never reached the DNS server"; }
echo PASS
