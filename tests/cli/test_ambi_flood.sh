#!/usr/bin/env bash
# A junk flood at 10x the stream's rate, forged with the sender's own address and port:
# every authentic packet is still delivered (its digest is known, so the flood never
# delays it), the junk is dropped (overflow once the pending buffer is full, timeout
# for what fit), and ambi-verify's memory stays within its pending bound + 16 MiB.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
source "$(dirname "$0")/ambi_lib.sh"
ambi_setup fld 10.99.74.1 10.99.74.2
group=232.77.4.1
port=5010
# The junk comes at 10x the stream's rate; a sanitizer build (ASan in scripts/test) is
# several times slower per packet, so it gets a slower stream.
rate=500
grep -q __asan_init "$AMBI_VERIFY" && rate=100
# Pending bytes, at most: less than data-hold-time's worth of junk, so that it overflows.
bound=$((rate * 8192))
packets=$((rate * 4))
head -c $((packets * 1200)) /dev/urandom >"$TMP/data.bin"

fifo_from sh -c "while ! grep -q '\"state\":\"connected\"' '$TMP/send.err' 2>/dev/null; do sleep 0.05; done; sleep 0.5; cat '$TMP/data.bin'"
ip netns exec "$NS_A" timeout -k 3 "$TAPS_TIMEOUT" "$AMBI_SEND" --originate -s "$AMBI_S" -g "$group" -p "$port" \
  --source-port 40010 --listen "$AMBI_S:4433" --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
  --metadata-out "$TMP/stream.json" --rate "$rate" --json <"$FIFO" 2>"$TMP/send.err" &
sender=$!
wait_for_file "$TMP/stream.json" || fail "no metadata"
# ASan (under scripts/test) would otherwise keep freed junk in its quarantine. --stats,
# not --json: a JSON line per dropped packet would cost more than the packet.
ASAN_OPTIONS=quarantine_size_mb=1:${ASAN_OPTIONS:-} ip netns exec "$NS_B" timeout -k 3 60 "$AMBI_VERIFY" \
  --metadata "$TMP/stream.json" --ca "$CERTS/ca.pem" --max-pending-bytes "$bound" --stats \
  >"$TMP/out.bin" 2>"$TMP/verify.err" &
verifier=$!
wait_for_event "$TMP/send.err" verifier 1 "$verifier"
vpid=$(pgrep -P "$verifier" | head -n1)
base_kib=$(awk '/^VmHWM/ { print $2 }' "/proc/$vpid/status")
# 10x the stream's rate, for as long as the stream lasts.
sport=$(json_field "$TMP/send.err" sending local)
ns_exec "$NS_A" python3 "$AMBI_PEER" inject --source "$AMBI_S" --sport "${sport##*:}" --group "$group" --port "$port" \
  --count $((packets * 10)) --rate $((rate * 10)) --size 1200 &
flood=$!
wait_rc "$sender"
[[ $RC == 0 ]] || { show_file "sender" "$TMP/send.err"; fail "ambi-manifest-send exited $RC"; }
wait "$flood" || true
wait_for_size "$TMP/out.bin" $((packets * 1200)) || true
sleep 2.5  # the junk that fit waits out data-hold-time
peak_kib=$(awk '/^VmHWM/ { print $2 }' "/proc/$vpid/status")
kill -TERM "$verifier"
wait_rc "$verifier"
assert_same_sha256 "$TMP/data.bin" "$TMP/out.bin" "authentic packets under the flood"
stats=$(grep "stats: verified=" "$TMP/verify.err") || { show_file "verifier" "$TMP/verify.err"; fail "no statistics"; }
verified=$(sed -n 's/.*verified=\([0-9]*\).*/\1/p' <<<"$stats")
overflow=$(sed -n 's/.*overflow=\([0-9]*\).*/\1/p' <<<"$stats")
timeout=$(sed -n 's/.*timeout=\([0-9]*\).*/\1/p' <<<"$stats")
assert_eq "$(json_field "$TMP/send.err" stats packets)" "$verified" "verified packets (as many as were sent)"
((overflow + timeout >= packets * 9)) || fail "only $overflow overflow + $timeout timeout drops for $((packets * 10)) junk packets"
((overflow > 0)) || fail "the pending buffer never overflowed: the flood did not test the bound"
growth_kib=$((peak_kib - base_kib))
note "junk: $overflow overflow + $timeout timeout drops; RSS $base_kib KiB before, peak $peak_kib KiB (+$growth_kib KiB, bound $((bound / 1024)) KiB + 16 MiB)"
((growth_kib <= bound / 1024 + 16384)) || fail "memory grew by $growth_kib KiB under the flood"
echo PASS
