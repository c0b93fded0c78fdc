#!/usr/bin/env bash
# ambi-manifest-send and ambi-verify end to end: --originate delivers a file byte for
# byte (IPv4 and IPv6), --witness authenticates a stream another program sends, a forger
# with the sender's address makes --strict exit 5, a verifier that stops reading is cut
# off, and the command lines explain themselves and reject bad input in one line.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
source "$(dirname "$0")/ambi_lib.sh"

# --- the command lines -------------------------------------------------------------------
for tool in "$AMBI_SEND" "$AMBI_VERIFY"; do
  "$tool" --help >"$TMP/help" || fail "$tool --help exited $?"
  { grep -q "Examples:" "$TMP/help" && grep -q "Exit codes:" "$TMP/help"; } || fail "$tool --help has no examples or exit codes"
  "$tool" --version | grep -q "$(basename "$tool") " || fail "$tool --version"
done
rc=0; "$AMBI_VERIFY" --metadata /nonexistent.json 2>"$TMP/e1" || rc=$?
assert_eq 1 "$rc" "ambi-verify with a missing metadata file"
grep -q "/nonexistent.json" "$TMP/e1" || fail "the error does not name the file: $(cat "$TMP/e1")"
printf '{"ietf-dorms:dorms":{"metadata":{"sender":[{"address":"10.0.0.1","group":[{"address":"232.1.1.1","udp-stream":[{"port":5001,"ietf-ambi:ambi":{"manifest-stream":[{"id":1,"manifest-stream":[{"uri":"ambi+tls://10.0.0.1:4433"}],"hash-algorithm":"md5"}]}}]}]}]}}}' >"$TMP/bad.json"
rc=0; "$AMBI_VERIFY" --metadata "$TMP/bad.json" 2>"$TMP/e2" || rc=$?
assert_eq 1 "$rc" "ambi-verify with an unknown hash algorithm"
grep -qF '["manifest-stream"][0]["hash-algorithm"]: unknown hash algorithm '"'md5'" "$TMP/e2" || fail "no JSON path in: $(cat "$TMP/e2")"
rc=0; "$AMBI_SEND" -s 10.0.0.1 -g 10.0.0.2 -p 5001 --listen 4433 --cert x --key y 2>"$TMP/e3" || rc=$?
assert_eq 1 "$rc" "ambi-manifest-send with a unicast group"
grep -q "not a multicast group" "$TMP/e3" || fail "unclear error: $(cat "$TMP/e3")"
note "command lines: ok"

ambi_setup tools 10.99.73.1 10.99.73.2

# originate S G PORT FILE METADATA [ARGS...]: ambi-manifest-send --originate in $NS_A,
# with stdin FILE once ambi-verify (started by the caller) has joined: see `verify_file`.
# verify_file NAME S G PORT FILE [SEND_ARGS...]: the whole file through AMBI, compared.
verify_file() {
  local name=$1 s=$2 g=$3 port=$4 file=$5
  shift 5
  fifo_from sh -c "while ! grep -q '\"join\"' '$TMP/$name.verify.err' 2>/dev/null; do sleep 0.05; done; cat '$file'"
  asend "$NS_A" --originate -s "$s" -g "$g" -p "$port" --listen "$(ambi_uri_host "$s"):4433" --cert "$CERTS/server.pem" \
    --key "$CERTS/server.key" --metadata-out "$TMP/$name.json" --rate 4000 --json "$@" <"$FIFO" 2>"$TMP/$name.send.err" &
  local sender=$!
  wait_for_file "$TMP/$name.json" || { show_file "sender" "$TMP/$name.send.err"; fail "$name: no metadata written"; }
  ip netns exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_VERIFY" --metadata "$TMP/$name.json" --ca "$CERTS/ca.pem" --json \
    >"$TMP/$name.out" 2>"$TMP/$name.verify.err" &
  local verifier=$!
  wait_rc "$sender"
  [[ $RC == 0 ]] || { show_file "sender" "$TMP/$name.send.err"; fail "$name: ambi-manifest-send exited $RC"; }
  wait_for_size "$TMP/$name.out" "$(stat -c %s "$file")" || true
  kill -TERM "$verifier"
  wait_rc "$verifier"
  assert_same_sha256 "$file" "$TMP/$name.out" "$name: verified output"
  assert_eq "{}" "$(python3 -c 'import json,sys; s=[json.loads(l) for l in open(sys.argv[1]) if "\"stats\"" in l][-1]; print({k:v for k,v in s["dropped"].items() if v})' "$TMP/$name.verify.err")" "$name: drops"
  note "$name: $(stat -c %s "$file") bytes in $(json_field "$TMP/$name.send.err" stats packets) packets, all verified: ok"
}

# --- --originate, IPv4: 1 MiB through AMBI ------------------------------------------------
head -c 1M /dev/urandom >"$TMP/data.bin"
verify_file v4 "$AMBI_S" 232.77.3.1 5003 "$TMP/data.bin"
grep -q '"event":"manifest_channel","state":"connected"' "$TMP/v4.verify.err" || fail "v4: no manifest channel"
assert_json_golden ambi-manifest-send "$TMP/v4.send.err"
assert_json_golden ambi-verify "$TMP/v4.verify.err"

# --- --originate from a pipe that returns reads of random sizes: exact datagrams ----------
# 100,500 bytes at --packet-size 1000 are 100 datagrams of 1000 bytes and one of 500 (each
# short read was once a short datagram).
head -c 100500 /dev/urandom >"$TMP/exact.bin"
cat >"$TMP/chunks.py" <<'PY'
import os, random, sys, time
data = open(sys.argv[1], "rb").read()
at = 0
while at < len(data):
    n = random.randint(1, 2500)
    os.write(1, data[at:at + n])
    at += n
    time.sleep(0.002)
PY
fifo_from sh -c "while ! grep -q '\"join\"' '$TMP/exact.verify.err' 2>/dev/null; do sleep 0.05; done; python3 '$TMP/chunks.py' '$TMP/exact.bin'"
asend "$NS_A" --originate -s "$AMBI_S" -g 232.77.3.7 -p 5013 --listen "$AMBI_S:4440" --cert "$CERTS/server.pem" \
  --key "$CERTS/server.key" --metadata-out "$TMP/exact.json" --packet-size 1000 --rate 2000 --json \
  <"$FIFO" 2>"$TMP/exact.send.err" &
sender=$!
wait_for_file "$TMP/exact.json" || fail "exact: no metadata"
ip netns exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_VERIFY" --metadata "$TMP/exact.json" --ca "$CERTS/ca.pem" --json \
  >"$TMP/exact.out" 2>"$TMP/exact.verify.err" &
verifier=$!
wait_rc "$sender"
[[ $RC == 0 ]] || { show_file "sender" "$TMP/exact.send.err"; fail "exact: ambi-manifest-send exited $RC"; }
wait_for_size "$TMP/exact.out" 100500 || true
kill -TERM "$verifier"
wait_rc "$verifier"
assert_same_sha256 "$TMP/exact.bin" "$TMP/exact.out" "exact: verified output"
assert_eq "1000x100 500x1" "$(python3 -c '
import collections, json, sys
sizes = [json.loads(l)["size"] for l in open(sys.argv[1]) if "\"event\":\"verified\"" in l]
print(" ".join("%dx%d" % (k, v) for k, v in sorted(collections.Counter(sizes).items(), reverse=True)))' "$TMP/exact.verify.err")" \
  "exact: datagram sizes"
note "--originate from random-sized reads: 100 datagrams of exactly 1000 bytes and the last of 500: ok"

# --- the README's way: stdin a file, the verifier started after the sender -----------------
# Without --wait-verifiers the file was sent before any verifier existed; --linger keeps
# the last manifests served after EOF.
head -c 50000 /dev/urandom >"$TMP/wait.bin"
asend "$NS_A" --originate -s "$AMBI_S" -g 232.77.3.8 -p 5016 --listen "$AMBI_S:4441" --cert "$CERTS/server.pem" \
  --key "$CERTS/server.key" --metadata-out "$TMP/wait.json" --wait-verifiers 1 --linger 1 --json \
  <"$TMP/wait.bin" 2>"$TMP/wait.send.err" &
sender=$!
wait_for_file "$TMP/wait.json" || fail "wait: no metadata"
sleep 1
ip netns exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_VERIFY" --metadata "$TMP/wait.json" --ca "$CERTS/ca.pem" --json \
  >"$TMP/wait.out" 2>"$TMP/wait.verify.err" &
verifier=$!
wait_rc "$sender"
[[ $RC == 0 ]] || { show_file "sender" "$TMP/wait.send.err"; fail "wait: ambi-manifest-send exited $RC"; }
wait_for_size "$TMP/wait.out" 50000 || true
kill -TERM "$verifier"
wait_rc "$verifier"
assert_same_sha256 "$TMP/wait.bin" "$TMP/wait.out" "wait: a file sent once the verifier was connected"
grep -q '"orderly":true' "$TMP/wait.verify.err" || { show_file "verifier" "$TMP/wait.verify.err"; fail "wait: the end of the stream was not orderly"; }
note "--wait-verifiers 1 --linger 1 with stdin a file: all of it verified, the end orderly: ok"

# --- --strict: a forged packet with the sender's address and port -> exit 5 ----------------
fifo_from sh -c "while ! grep -q '\"join\"' '$TMP/strict.verify.err' 2>/dev/null; do sleep 0.05; done; seq 1 400; sleep 3"
asend "$NS_A" --originate -s "$AMBI_S" -g 232.77.3.2 -p 5004 --source-port 40004 --listen "$AMBI_S:4434" \
  --cert "$CERTS/server.pem" --key "$CERTS/server.key" --metadata-out "$TMP/strict.json" --lines --rate 200 --json \
  <"$FIFO" 2>"$TMP/strict.send.err" &
wait_for_file "$TMP/strict.json" || fail "strict: no metadata"
ip netns exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_VERIFY" --metadata "$TMP/strict.json" --ca "$CERTS/ca.pem" \
  --strict --data-hold-time 300 --json >"$TMP/strict.out" 2>"$TMP/strict.verify.err" &
verifier=$!
wait_for_event "$TMP/strict.verify.err" verified 1 "$verifier"
# The forger uses the port the datagrams really leave from (the sending event).
sport=$(json_field "$TMP/strict.send.err" sending local)
# --source-port is honoured (issue 11 item 7): the datagrams leave from 40004.
assert_eq 40004 "${sport##*:}" "the port the datagrams leave from with --source-port 40004"
ns_exec "$NS_A" python3 "$AMBI_PEER" inject --source "$AMBI_S" --sport "${sport##*:}" --group 232.77.3.2 --port 5004 --count 3
wait_rc "$verifier"
assert_eq 5 "$RC" "ambi-verify --strict after a forged packet"
[[ -s $TMP/strict.out ]] || fail "strict: nothing was verified before the forgery"
grep -q FORGED "$TMP/strict.out" && fail "strict: a forged payload reached stdout"
grep -q '"event":"dropped","reason":"timeout"' "$TMP/strict.verify.err" || fail "strict: no timeout drop event"
note "--strict: exit 5 at the forged packet, none on stdout: ok"

# --- --witness: digests of a stream python sends --------------------------------------------
ip netns exec "$NS_A" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_SEND" --witness -s "$AMBI_S" -g 232.77.3.3 -p 5005 --listen "$AMBI_S:4435" --cert "$CERTS/server.pem" \
  --key "$CERTS/server.key" --metadata-out "$TMP/witness.json" --json 2>"$TMP/witness.send.err" &
witness=$!
wait_for_event "$TMP/witness.send.err" join 1 "$witness"
ip netns exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_VERIFY" --metadata "$TMP/witness.json" --ca "$CERTS/ca.pem" \
  -c 300 -o none --json 2>"$TMP/witness.verify.err" &
verifier=$!
wait_for_event "$TMP/witness.verify.err" join 1 "$verifier"
wait_for_event "$TMP/witness.verify.err" manifest_channel 1 "$verifier"
mcast_send "$NS_A" "$AMBI_S" 232.77.3.3 5005 300 1000
wait_rc "$verifier"
[[ $RC == 0 ]] || { show_file "verifier" "$TMP/witness.verify.err"; fail "witness: ambi-verify -c 300 exited $RC"; }
kill -TERM "$witness"
wait_rc "$witness"
assert_eq 0 "$RC" "ambi-manifest-send --witness after SIGTERM"
note "--witness: 300 packets sent by python, 300 verified: ok"

# --- --witness --source-port: only that port of S is vouched for ---------------------------
ip netns exec "$NS_A" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_SEND" --witness -s "$AMBI_S" -g 232.77.3.9 -p 5017 --listen "$AMBI_S:4442" \
  --cert "$CERTS/server.pem" --key "$CERTS/server.key" --source-port 41000 --json 2>"$TMP/wport.send.err" &
witness=$!
wait_for_event "$TMP/wport.send.err" join 1 "$witness"
ns_exec "$NS_A" python3 "$AMBI_PEER" inject --source "$AMBI_S" --sport 41000 --group 232.77.3.9 --port 5017 --count 5 --rate 100
ns_exec "$NS_A" python3 "$AMBI_PEER" inject --source "$AMBI_S" --sport 41001 --group 232.77.3.9 --port 5017 --count 7 --rate 100
sleep 0.3
kill -TERM "$witness"
wait_rc "$witness"
assert_eq 5 "$(json_field "$TMP/wport.send.err" stats packets)" "packets witnessed with --source-port 41000 (5 from it, 7 from 41001)"
note "--witness --source-port: only the 5 datagrams from that port were witnessed: ok"

# --- a verifier that never reads is cut off -------------------------------------------------
fifo_from sh -c "while ! [ -s '$TMP/slow.connected' ]; do sleep 0.05; done; head -c 24M /dev/zero"
asend "$NS_A" --originate -s "$AMBI_S" -g 232.77.3.4 -p 5006 --listen "$AMBI_S:4436" --cert "$CERTS/server.pem" \
  --key "$CERTS/server.key" --rate 0 --packet-size 64 --digests-per-manifest 1024 --max-backlog 65536 --json \
  <"$FIFO" 2>"$TMP/slow.send.err" &
sender=$!
ns_exec "$NS_B" python3 - "$AMBI_S" 4436 "$CERTS/ca.pem" "$TMP/slow.connected" <<'PY' &
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[3])
for _ in range(100):
    try:
        raw = socket.create_connection((sys.argv[1], int(sys.argv[2])))
        break
    except OSError:
        time.sleep(0.05)
raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s = ctx.wrap_socket(raw, server_hostname=sys.argv[1])
open(sys.argv[4], "w").write("yes\n")
time.sleep(30)  # and never read
PY
for ((i = 0; i < 300; i++)); do
  grep -q '"event":"verifier","state":"cut_off"' "$TMP/slow.send.err" && break
  kill -0 "$sender" 2>/dev/null || break
  sleep 0.05
done
grep -q '"event":"verifier","state":"cut_off"' "$TMP/slow.send.err" || { show_file "sender" "$TMP/slow.send.err"; fail "slow: the verifier was not cut off"; }
kill -0 "$sender" 2>/dev/null || { wait_rc "$sender"; [[ $RC == 0 ]] || fail "slow: ambi-manifest-send exited $RC"; }
note "a verifier that does not read: cut off at 64 KiB of backlog, the sender goes on: ok"

# --- Refresh Deadline: the verifier re-reads its metadata within D/2 ----------------------
fifo_from sh -c "seq 1 100000 | while read -r l; do echo \$l; sleep 0.05; done"
ip netns exec "$NS_A" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_SEND" --originate -s "$AMBI_S" -g 232.77.3.5 -p 5008 \
  --listen "$AMBI_S:4437" --cert "$CERTS/server.pem" --key "$CERTS/server.key" --metadata-out "$TMP/refresh.json" \
  --refresh-deadline 2 --lines --json <"$FIFO" 2>"$TMP/refresh.send.err" &
sender=$!
wait_for_file "$TMP/refresh.json" || fail "refresh: no metadata"
cp "$TMP/refresh.json" "$TMP/refresh-v.json"
ip netns exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_VERIFY" --metadata "$TMP/refresh-v.json" --ca "$CERTS/ca.pem" \
  -o none --json 2>"$TMP/refresh.verify.err" &
verifier=$!
wait_for_event "$TMP/refresh.verify.err" manifest 1 "$verifier"
# The stream moves to another manifest server (nobody listens there: the attempt is enough).
sed -i 's/:4437"/:4438"/' "$TMP/refresh-v.json"
wait_for_event "$TMP/refresh.verify.err" metadata 1 "$verifier"
for _ in $(seq 40); do grep -q '"uri":"ambi+tls://10.99.73.1:4438"' "$TMP/refresh.verify.err" && break; sleep 0.05; done
grep -q '"event":"manifest_channel","state":"disconnected","uri":"ambi+tls://10.99.73.1:4438"' "$TMP/refresh.verify.err" ||
  { show_file "verifier" "$TMP/refresh.verify.err"; fail "refresh: the verifier did not move to the new manifest server"; }
python3 - "$TMP/refresh.verify.err" <<'PY' || fail "refresh: the metadata was re-read later than D/2 = 1 s after the first manifest"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
first = next(e["t"] for e in ev if e["event"] == "manifest")
again = next(e["t"] for e in ev if e["event"] == "metadata")
assert again - first <= 1.2, (first, again)
PY
kill -TERM "$verifier" "$sender" 2>/dev/null || true
wait "$verifier" "$sender" 2>/dev/null || true
note "Refresh Deadline 2 s: metadata re-read within 1 s, the new manifest server tried: ok"

# --- Refresh Deadline 0: the metadata is stable, never re-read (it once was, at every manifest)
fifo_from sh -c "seq 1 100000 | while read -r l; do echo \$l; sleep 0.05; done"
ip netns exec "$NS_A" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_SEND" --originate -s "$AMBI_S" -g 232.77.3.6 -p 5009 \
  --listen "$AMBI_S:4439" --cert "$CERTS/server.pem" --key "$CERTS/server.key" --metadata-out "$TMP/stable.json" \
  --refresh-deadline 0 --lines --json <"$FIFO" 2>"$TMP/stable.send.err" &
sender=$!
wait_for_file "$TMP/stable.json" || fail "stable: no metadata"
ip netns exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_VERIFY" --metadata "$TMP/stable.json" --ca "$CERTS/ca.pem" \
  -o none --json 2>"$TMP/stable.verify.err" &
verifier=$!
wait_for_event "$TMP/stable.verify.err" manifest 5 "$verifier"
grep -q '"refresh_deadline_s":0' "$TMP/stable.verify.err" || fail "stable: no Refresh Deadline 0 in the manifests"
sleep 1.5
assert_eq 0 "$(count_events "$TMP/stable.verify.err" metadata)" "metadata re-reads with Refresh Deadline 0"
kill -TERM "$verifier" "$sender" 2>/dev/null || true
wait "$verifier" "$sender" 2>/dev/null || true
note "Refresh Deadline 0: the metadata is not re-read: ok"

# --- IPv6 end to end --------------------------------------------------------------------
netns_pair tools6s tools6v fd00:73::1 fd00:73::2
AMBI_S=fd00:73::1
make_certs fd00:73::1
head -c 200K /dev/urandom >"$TMP/data6.bin"
verify_file v6 fd00:73::1 ff3e::77:6 5007 "$TMP/data6.bin"
echo PASS
