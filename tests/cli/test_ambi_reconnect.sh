#!/usr/bin/env bash
# Once-only delivery across reconnects (DESIGN.md 6.5): a verifier that holds digests
# 1 s, against ambi-manifest-send which re-sends 10 s of history to every (re)connecting
# verifier. 40 packets are delivered; the verifier's TCP connection is killed (ss -K);
# it reconnects and receives the history again, by then long expired at the verifier;
# the 40 captured packets are injected again: none is delivered a second time (before
# the anti-replay window, all 40 were). The stream then goes on.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
source "$(dirname "$0")/ambi_lib.sh"
need_cmd ss
ambi_setup rcn 10.99.75.1 10.99.75.2
group=232.77.5.1
port=5011
size=100
head -c $((40 * size)) /dev/urandom >"$TMP/first.bin"
head -c $((20 * size)) /dev/urandom >"$TMP/second.bin"

fifo_from sh -c "while ! grep -q '\"join\"' '$TMP/verify.err' 2>/dev/null; do sleep 0.05; done; cat '$TMP/first.bin';
  while ! [ -e '$TMP/go' ]; do sleep 0.05; done; cat '$TMP/second.bin'"
asend "$NS_A" --originate -s "$AMBI_S" -g "$group" -p "$port" --listen "$AMBI_S:4433" --cert "$CERTS/server.pem" \
  --key "$CERTS/server.key" --metadata-out "$TMP/stream.json" --packet-size "$size" --rate 100 --json \
  <"$FIFO" 2>"$TMP/send.err" &
sender=$!
wait_for_file "$TMP/stream.json" || { show_file "sender" "$TMP/send.err"; fail "no metadata"; }
ip netns exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_VERIFY" --metadata "$TMP/stream.json" --ca "$CERTS/ca.pem" \
  --digest-hold-time 1000 --data-hold-time 500 --json >"$TMP/out.bin" 2>"$TMP/verify.err" &
verifier=$!
wait_for_size "$TMP/out.bin" $((40 * size)) || { show_file "verifier" "$TMP/verify.err"; fail "the first 40 packets"; }
assert_same_sha256 "$TMP/first.bin" "$TMP/out.bin" "the first 40 packets"
sport=$(json_field "$TMP/send.err" sending local)
sport=${sport##*:}
[[ -n $sport ]] || { show_file "sender" "$TMP/send.err"; fail "no sending event with the source port"; }

# The verifier's manifest connection dies; it reconnects 1 s later and gets the history.
sleep 0.5
ns_exec "$NS_B" ss -K dst "$AMBI_S" dport = :4433 >/dev/null
wait_for_event "$TMP/verify.err" manifest_channel 3 "$verifier"  # connected, disconnected, connected
grep -q '"state":"disconnected"' "$TMP/verify.err" || fail "ss -K did not disconnect the manifest channel"
sleep 1  # the history (40 digests, 2.5 s and more old, beyond the verifier's 1 s) arrives

# Replay the captured packets, from the sender's address and port.
ns_exec "$NS_A" python3 "$AMBI_PEER" replay --source "$AMBI_S" --sport "$sport" --group "$group" --port "$port" \
  --file "$TMP/first.bin" --size "$size"
sleep 1  # data-hold-time 500 ms: every replay has timed out
assert_eq $((40 * size)) "$(stat -c %s "$TMP/out.bin")" "bytes on stdout after the replay"

# The stream goes on after the reconnect.
touch "$TMP/go"
wait_rc "$sender"
[[ $RC == 0 ]] || { show_file "sender" "$TMP/send.err"; fail "ambi-manifest-send exited $RC"; }
wait_for_size "$TMP/out.bin" $((60 * size)) || true
kill -TERM "$verifier"
wait_rc "$verifier"
cat "$TMP/first.bin" "$TMP/second.bin" >"$TMP/all.bin"
assert_same_sha256 "$TMP/all.bin" "$TMP/out.bin" "60 packets, each once"
timeouts=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if "\"stats\"" in l][-1]["dropped"]["timeout"])' "$TMP/verify.err")
assert_eq 40 "$timeouts" "replayed packets dropped (timeout: their digests are gone and never re-armed)"
note "40 packets, ss -K, reconnect with 10 s of history, 40 replays: none delivered twice; 20 more after: ok"
echo PASS
