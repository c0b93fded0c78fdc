#!/usr/bin/env bash
# What an attacker or a faulty sender can do to an AMBI stream, against ambi-verify:
# ambi_peer.py (an independent sender and manifest server written from the draft) sends
# the packets and manifests of each case; the verifier must deliver exactly the
# authentic packets, once each, and count every drop under its reason.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
source "$(dirname "$0")/ambi_lib.sh"
ambi_setup atk 10.99.71.1 10.99.71.2

ambi_scenario basic
ambi_scenario bitflip         # a payload bit flipped: dropped; the original still verifies
ambi_scenario spoof           # forged from the sender's address and port (raw socket)
ambi_scenario wrong_dest      # digests for another group or port never match here
ambi_scenario replay          # within the hold-down: replay; after: no digest, timeout
ambi_scenario overlap         # redundant overlapping manifests: each packet once
ambi_scenario identical       # one payload in two slots: twice, the third is a replay
ambi_scenario reorder
ambi_scenario other_stream    # digests made for another stream identifier
ambi_scenario hash_mismatch   # digests from another hash algorithm
ambi_scenario early           # packet before its manifest: within data-hold-time only
ambi_scenario expired         # manifest long before the packet: the digest expired
ambi_scenario cut             # the manifest cut mid-stream: its complete digests count
echo PASS
