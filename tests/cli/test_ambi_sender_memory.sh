#!/usr/bin/env bash
# ambi-manifest-send's memory does not grow with verifiers that never read (issue 16,
# item 12: it held up to --max-backlog, 4 MiB by default, per verifier: 300 of them,
# 1.38 GB). The manifests are kept once for all verifiers and at most 64 KiB are queued
# per connection: 100 TLS clients that handshake and never read, 8 MiB of manifests
# (--max-backlog 4 MiB), peak RSS growth well under 100 x 4 MiB (what each one could
# hold before) and under 100 x 1 MiB; every one of them is cut off once it lags
# --max-backlog, and the sender ends normally.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
source "$(dirname "$0")/ambi_lib.sh"
ambi_setup mem 10.99.77.1 10.99.77.2
group=232.77.7.1
port=5014
stalled=100

fifo_from sh -c "while ! [ -s '$TMP/stalled.ready' ]; do sleep 0.05; done; head -c 2M /dev/urandom"
# 60 s: a hundred TLS handshakes come first (ASan makes them slow).
ASAN_OPTIONS=quarantine_size_mb=1:${ASAN_OPTIONS:-} ip netns exec "$NS_A" timeout -k 3 60 "$AMBI_SEND" \
  --originate -s "$AMBI_S" -g "$group" -p "$port" --listen "$AMBI_S:4433" --cert "$CERTS/server.pem" \
  --key "$CERTS/server.key" --metadata-out "$TMP/stream.json" --rate 0 --packet-size 16 --hash sha-512 --digests-per-manifest 1024 \
  --json <"$FIFO" 2>"$TMP/send.err" &
sender=$!
wait_for_file "$TMP/stream.json" || { show_file "sender" "$TMP/send.err"; fail "no metadata"; }
spid=$(pgrep -P "$sender" | head -n1)
base_kib=$(awk '/^VmHWM/ { print $2 }' "/proc/$spid/status")
ns_exec "$NS_B" python3 - "$AMBI_S" 4433 "$CERTS/ca.pem" "$TMP/stalled.ready" "$stalled" <<'PY' &
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[3])
held = []
for _ in range(int(sys.argv[5])):
    raw = socket.create_connection((sys.argv[1], int(sys.argv[2])))
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    held.append(ctx.wrap_socket(raw, server_hostname=sys.argv[1]))
open(sys.argv[4], "w").write("yes\n")
time.sleep(60)  # and never read
PY
clients=$!
peak_kib=$base_kib
while kill -0 "$spid" 2>/dev/null; do
  now_kib=$(awk '/^VmHWM/ { print $2 }' "/proc/$spid/status" 2>/dev/null || echo 0)
  ((now_kib > peak_kib)) && peak_kib=$now_kib
  sleep 0.1
done
wait_rc "$sender"
kill_tree "$clients"
[[ $RC == 0 ]] || { show_file "sender" "$TMP/send.err"; fail "ambi-manifest-send exited $RC"; }
cut=$(count_events "$TMP/send.err" verifier state=cut_off)
assert_eq "$stalled" "$cut" "stalled verifiers cut off"
growth=$((peak_kib - base_kib))
note "$stalled verifiers that never read: all cut off; RSS $base_kib KiB before, peak $peak_kib KiB (+$growth KiB)"
# Before: up to --max-backlog per verifier (400 MiB here). Now: the history (4 MiB), at
# most 64 KiB of manifests queued per connection, and what libtaps keeps per TLS
# connection (buffers, about 300 KiB; measured 40 MiB for 100 under ASan).
((growth <= 4096 + stalled * 512 + 16384)) || fail "memory grew by $growth KiB with $stalled stalled verifiers"
echo PASS
