#!/usr/bin/env bash
# QUIC through 2 % packet loss: nftables in the server's namespace drops 2 % of the UDP
# datagrams of the QUIC port at random each way (data and acknowledgements); 64 MiB of
# random bytes from taps-cat --quic to taps-cat -l --quic arrive intact (sha256 of what was
# sent equals that of what was received), both exit 0, and the counters show the losses
# happened. TAPS_QUIC_SIZE changes the size.
TAPS_TIMEOUT=${TAPS_TIMEOUT:-240}
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_root
need_cmd nft openssl sha256sum
netns_pair qlsA qlsB 10.96.0.1 10.96.0.2
make_certs 10.96.0.2
SIZE=${TAPS_QUIC_SIZE:-64M}
head -c "$SIZE" /dev/urandom >"$TMP/f"
PORT=7443
ns_nft "$NS_B" "table inet qloss {
  chain in {
    type filter hook input priority 0;
    udp dport $PORT numgen random mod 100 < 2 counter drop
  }
  chain out {
    type filter hook output priority 0;
    udp sport $PORT numgen random mod 100 < 2 counter drop
  }
}"

ns_exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" -l --quic --cert "$CERTS/server.pem" \
  --key "$CERTS/server.key" --json 10.96.0.2 "$PORT" </dev/null >"$TMP/out" 2>"$TMP/serve.err" &
serve_pid=$!
wait_for_event "$TMP/serve.err" listening 1 "$serve_pid"

start=$(now_ms)
rc=0
ns_exec "$NS_A" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" --quic --ca "$CERTS/ca.pem" --json 10.96.0.2 "$PORT" \
  <"$TMP/f" >/dev/null 2>"$TMP/client.err" || rc=$?
[[ $rc == 0 ]] || { show_file "client stderr" "$TMP/client.err"; show_file "listener stderr" "$TMP/serve.err"; fail "client exit $rc"; }
wait_rc "$serve_pid"
[[ $RC == 0 ]] || { show_file "listener stderr" "$TMP/serve.err"; fail "listener exit $RC"; }
elapsed=$(($(now_ms) - start))
assert_same_sha256 "$TMP/f" "$TMP/out" "$SIZE through 2 % loss"

# dropped CHAIN: the packets the CHAIN's rule dropped.
dropped() {
  ns_exec "$NS_B" nft list chain inet qloss "$1" | sed -n -E 's/.*counter packets ([0-9]+).*/\1/p'
}
data_lost=$(dropped in)
acks_lost=$(dropped out)
((data_lost > 0)) || fail "no datagram toward the server was dropped: the loss rule did not apply"
((acks_lost > 0)) || fail "no datagram from the server was dropped: the loss rule did not apply"
note "$SIZE through 2 % loss: intact in $elapsed ms; $data_lost datagrams to the server and $acks_lost from it dropped"
echo PASS
