#!/usr/bin/env bash
# The manifest channel under abuse: a wrong stream identifier and a TLV overrun each
# disconnect, with reconnects 1 s then 2 s later; a 2 MiB manifest (count 32767, 64-byte
# digests) is refused without growing memory; an untrusted server certificate means
# nothing is ever delivered.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
source "$(dirname "$0")/ambi_lib.sh"
ambi_setup chn 10.99.72.1 10.99.72.2

ambi_scenario wrong_stream
python3 - "$TMP/wrong_stream.err" <<'PY' || fail "backoff: reconnects must come 1 s, then 2 s after each disconnect"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
channel = [e for e in events if e["event"] == "manifest_channel"]
states = [(e["state"], e.get("retry_ms")) for e in channel]
print("channel:", states, file=sys.stderr)
down = [e for e in channel if e["state"] == "disconnected"]
up = [e for e in channel if e["state"] == "connected"]
assert [e["retry_ms"] for e in down] == [1000, 2000], states
assert "stream" in down[0]["error"] and "TLV" in down[1]["error"] or "tlv" in down[1]["error"].lower(), down
# Each reconnect comes no sooner than its delay.
assert len(up) == 3
assert up[1]["t"] - down[0]["t"] >= 0.95 and up[2]["t"] - down[1]["t"] >= 1.95, channel
PY
note "wrong stream id, then TLV overrun: disconnected, retried after 1 s and 2 s: ok"

ambi_scenario abusive --hash sha-512
grep -q '"error":"broken manifest stream: .*' "$TMP/abusive.err" || fail "abusive manifest: no broken-stream disconnect"
note "abusive manifest refused: $(grep -m1 -o '"error":"broken[^"]*"' "$TMP/abusive.err")"

ambi_scenario untrusted
grep -q '"state":"connected"' "$TMP/untrusted.err" && fail "untrusted: the verifier accepted an untrusted certificate"
grep -qi 'certificate' "$TMP/untrusted.err" || { show_file "verifier" "$TMP/untrusted.err"; fail "untrusted: no certificate error reported"; }
note "untrusted certificate: never connected, nothing delivered: ok"
echo PASS
