#!/usr/bin/env bash
# 5,000 TCP connections to ambi-manifest-send that never start their TLS handshake
# (issue 11, item 5): the Listener drops each after 10 s, and meanwhile a well-behaved
# verifier that connects after them still gets every digest: the whole file is verified.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
source "$(dirname "$0")/ambi_lib.sh"
ambi_setup stl 10.99.79.1 10.99.79.2
group=232.77.9.1
port=5018
stalled=5000
head -c 300000 /dev/urandom >"$TMP/data.bin"

ip netns exec "$NS_A" timeout -k 3 90 "$AMBI_SEND" --originate -s "$AMBI_S" -g "$group" -p "$port" \
  --listen "$AMBI_S:4433" --cert "$CERTS/server.pem" --key "$CERTS/server.key" --metadata-out "$TMP/stream.json" \
  --packet-size 1000 --rate 1000 --wait-verifiers 1 --linger 1 --json <"$TMP/data.bin" 2>"$TMP/send.err" &
sender=$!
wait_for_file "$TMP/stream.json" || { show_file "sender" "$TMP/send.err"; fail "no metadata"; }
ns_exec "$NS_B" python3 - "$AMBI_S" 4433 "$stalled" "$TMP/stalled.ready" <<'PY' &
import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
held = []
for _ in range(int(sys.argv[3])):
    held.append(socket.create_connection((sys.argv[1], int(sys.argv[2]))))
open(sys.argv[4], "w").write("%d\n" % len(held))
time.sleep(60)  # and never say a word
PY
clients=$!
wait_for_file "$TMP/stalled.ready" 60 || fail "the $stalled stalled connections were not made"
ip netns exec "$NS_B" timeout -k 3 90 "$AMBI_VERIFY" --metadata "$TMP/stream.json" --ca "$CERTS/ca.pem" --json \
  >"$TMP/out.bin" 2>"$TMP/verify.err" &
verifier=$!
wait_rc "$sender"
[[ $RC == 0 ]] || { show_file "sender" "$TMP/send.err"; fail "ambi-manifest-send exited $RC"; }
wait_for_size "$TMP/out.bin" 300000 || true
kill -TERM "$verifier"
wait_rc "$verifier"
kill_tree "$clients"
assert_same_sha256 "$TMP/data.bin" "$TMP/out.bin" "verified behind $stalled stalled handshakes"
note "$stalled connections that never handshake: the verifier after them got every digest: ok"
echo PASS
