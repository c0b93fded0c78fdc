#!/usr/bin/env bash
# SSM between two namespaces: iperf2 and taps-cat send from A, taps-mcast-recv -s A
# receives in B. A second source in the same group is not received; the IGMPv3 join
# for (S,G) and the leave at exit are on the wire.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd iperf python3
netns_pair ssmA ssmB 10.99.1.1 10.99.1.2
ip -n "$NS_A" addr add 10.99.1.3/24 dev veth0
group=232.99.1.1
port=5001

# An IGMP listener on A's side of the link: every IGMPv3 record B sends, as
# "TYPE GROUP SOURCE,SOURCE" (1 is_in, 2 is_ex, 3 to_in, 4 to_ex, 5 allow, 6 block).
cat >"$TMP/igmp.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("veth0", 0))
s.settimeout(40)
out = open(sys.argv[1], "w", buffering=1)
out.write("ready\n")
while True:
    try:
        frame = s.recv(2048)
    except socket.timeout:
        break
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 2:
        continue
    igmp = ip[ihl:]
    if igmp[0] != 0x22:
        continue
    (nrec,) = struct.unpack("!H", igmp[6:8])
    off = 8
    for _ in range(nrec):
        rtype, aux, nsrc = igmp[off], igmp[off + 1], struct.unpack("!H", igmp[off + 2:off + 4])[0]
        grp = socket.inet_ntoa(igmp[off + 4:off + 8])
        srcs = [socket.inet_ntoa(igmp[off + 8 + 4 * i:off + 12 + 4 * i]) for i in range(nsrc)]
        out.write("%d %s %s\n" % (rtype, grp, ",".join(srcs)))
        off += 8 + 4 * nsrc + 4 * aux
PY
ns_exec "$NS_A" python3 "$TMP/igmp.py" "$TMP/igmp.log" 2>"$TMP/igmp.err" &
for _ in $(seq 50); do grep -q ready "$TMP/igmp.log" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$TMP/igmp.log" || { show_file "igmp listener" "$TMP/igmp.err"; fail "IGMP listener did not start"; }

# --- iperf2 from 10.99.1.1, and a second source 10.99.1.3 that must not arrive -------
count=400
mcast_recv "$NS_B" -s 10.99.1.1 "$group" "$port" -c "$count" -o none --seq iperf2 --json \
  >/dev/null 2>"$TMP/rx1.err" &
rx=$!
wait_for_event "$TMP/rx1.err" join 1 "$rx"
ns_exec "$NS_A" timeout 10 iperf -c "$group" -p "$port" -u -B 10.99.1.3 -l 1200 -b 1M -t 3 -T 1 >"$TMP/other.out" 2>&1 &
other=$!
ns_exec "$NS_A" timeout 10 iperf -c "$group" -p "$port" -u -B 10.99.1.1 -l 1200 -b 5M -t 3 -T 1 >"$TMP/iperf.out" 2>&1 &
sender=$!
wait_rc "$rx"
kill_tree "$other"
kill_tree "$sender"
[[ $RC == 0 ]] || { show_file "receiver stderr" "$TMP/rx1.err"; fail "taps-mcast-recv -c $count exited $RC, expected 0"; }
assert_eq "$count" "$(json_field "$TMP/rx1.err" stats packets)" "packets from iperf2"
assert_eq 0 "$(json_field "$TMP/rx1.err" stats lost)" "iperf2 datagrams lost"
assert_eq 1 "$(count_events "$TMP/rx1.err" sender)" "senders (the second source must not arrive)"
[[ $(json_field "$TMP/rx1.err" sender sender) == 10.99.1.1:* ]] || fail "the sender is not 10.99.1.1"
assert_eq veth0 "$(json_field "$TMP/rx1.err" join interface)" "join interface (route toward the source)"
note "iperf2: $count datagrams from 10.99.1.1, none from 10.99.1.3: ok"

# The join for (10.99.1.1, G) and, after the exit, the leave are IGMPv3 records.
for _ in $(seq 30); do grep -Eq "^(6 $group 10.99.1.1|3 $group )\$" "$TMP/igmp.log" && break; sleep 0.1; done
grep -Eq "^(5|1|3) $group 10.99.1.1\$" "$TMP/igmp.log" || { show_file "IGMP records" "$TMP/igmp.log"; fail "no IGMPv3 join (allow/include) for (10.99.1.1, $group)"; }
grep -Eq "^(6 $group 10.99.1.1|3 $group )\$" "$TMP/igmp.log" || { show_file "IGMP records" "$TMP/igmp.log"; fail "no IGMPv3 leave (block/to_in {}) for (10.99.1.1, $group) after exit"; }
note "IGMPv3 join and leave for (10.99.1.1, $group) seen on the wire: ok"

# --- taps-cat as the sender: every line arrives, in order (--framer line keeps the
# newline in each datagram, so raw output is the input) --------------------------
mcast_recv "$NS_B" "10.99.1.1@$group" "$port" -c 3 -o raw --json >"$TMP/rx2.out" 2>"$TMP/rx2.err" &
rx=$!
wait_for_event "$TMP/rx2.err" join 1 "$rx"
printf 'one\ntwo\nthree\n' | ns_exec "$NS_A" timeout 10 "$TAPS_CAT" --framer line -s 10.99.1.1 -i veth0 --ttl 1 "$group" "$port" \
  2>"$TMP/cat.err" || { show_file "taps-cat stderr" "$TMP/cat.err"; fail "taps-cat multicast send failed"; }
wait_rc "$rx"
[[ $RC == 0 ]] || { show_file "receiver stderr" "$TMP/rx2.err"; fail "taps-mcast-recv exited $RC after taps-cat"; }
assert_file_eq $'one\ntwo\nthree\n' "$TMP/rx2.out" "lines sent by taps-cat"
note "taps-cat sender: ok"
echo PASS
