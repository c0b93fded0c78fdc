#!/usr/bin/env bash
# PathChange (RFC 9622 8.3.2, issue 12 item 9): an established Connection hears when
# its local address is removed or its interface goes down and comes back, as
# `path_change` events in taps-cat --json. Two namespaces joined by a veth pair; the
# server in B, the client in A, whose address and link the test changes.
source "$(dirname "$0")/lib.sh"
need_root
netns_pair pca pcb 10.61.0.1 10.61.0.2

# client_to_server TAG: a taps-cat client in A connected to the server in B, its
# stdin held open; waits for ready. Sets CLIENT_PID.
start_server() {
  fifo_from sleep "$TAPS_TIMEOUT"
  ns_exec "$NS_B" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" -l -k --json 10.61.0.2 0 <"$FIFO" >/dev/null 2>"$TMP/server.err" &
  SERVER_PID=$!
  PORT=$(wait_for_listen_port "$TMP/server.err" "$SERVER_PID")
}
client_to_server() {
  fifo_from sleep "$TAPS_TIMEOUT"
  ns_exec "$NS_A" timeout -k 3 "$TAPS_TIMEOUT" "$TAPS_CAT" --json 10.61.0.2 "$PORT" <"$FIFO" >/dev/null 2>"$TMP/$1.err" &
  CLIENT_PID=$!
  wait_for_event "$TMP/$1.err" ready 1 "$CLIENT_PID"
}

start_server

# The link goes down, then up: two events, in that order, naming veth0.
client_to_server link
ip -n "$NS_A" link set veth0 down
wait_for_event "$TMP/link.err" path_change 1 "$CLIENT_PID"
ip -n "$NS_A" link set veth0 up
wait_for_event "$TMP/link.err" path_change 2 "$CLIENT_PID"
reasons=$(python3 -c '
import json, sys
print(",".join(e["reason"] + "@" + e["interface"] for e in map(json.loads, open(sys.argv[1])) if e.get("event") == "path_change"))
' "$TMP/link.err")
assert_eq "interface down@veth0,interface up@veth0" "$reasons" "path_change events of a link down and up"
[[ $(json_field "$TMP/link.err" path_change local) == 10.61.0.1:* ]] || fail "path_change without the local endpoint"
kill_tree "$CLIENT_PID"
note "link down/up: $reasons"

# The address goes: one event "local address removed".
ip -n "$NS_A" addr add 10.61.0.1/24 dev veth0 2>/dev/null || true
client_to_server addr
ip -n "$NS_A" addr del 10.61.0.1/24 dev veth0
wait_for_event "$TMP/addr.err" path_change 1 "$CLIENT_PID"
assert_eq "local address removed" "$(json_field "$TMP/addr.err" path_change reason)" "reason"
assert_eq veth0 "$(json_field "$TMP/addr.err" path_change interface)" "interface"
sleep 0.3
assert_eq 1 "$(count_events "$TMP/addr.err" path_change)" "one event for one removed address"
kill_tree "$CLIENT_PID"
kill_tree "$SERVER_PID"
note "address removed: reported once"
