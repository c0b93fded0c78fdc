#!/usr/bin/env python3
"""An independent AMBI peer for the cli tests and the demo (draft-ietf-mboned-ambi-05).

It is a multicast sender and an `ambi+tls` manifest server in one, written from the
draft rather than from our C++ code, so that it can also do what a correct sender never
does: flip bits, replay, forge the source, send manifests for other streams, cut a
manifest, send too large ones.

  ambi_peer.py scenario NAME --source S --group G --port P --listen HOST:PORT
               --cert F --key F [--data-hold MS] [--digest-hold MS] [--ready FILE]
      Serves manifests, sends the scenario's packets once a verifier has connected, and
      prints on stdout what a correct verifier must report, as JSON:
      {"verified": [hex payload, ...], "dropped": {"timeout": n, ...}, "disconnects": n}

  ambi_peer.py inject --source S --sport N --group G --port P --count N [--rate PPS]
                      [--size N] [--sports K]
      Forges datagrams that claim to come from S:N (a raw IPv4 socket writes the IP
      header itself; IPv6 binds S, which must then be local); with --sports K, from
      the K ports N, N+1, ... in turn.

  ambi_peer.py replay --source S --sport N --group G --port P --file F [--size N]
      Forges FILE again, in N-byte datagrams, as from S:N: captured packets replayed.

  ambi_peer.py digest --source S --sport N --group G --port P --stream-id N HEXPAYLOAD
      Prints the SHA-256 digest of one packet (for checks by hand).
"""
import argparse
import hashlib
import json
import os
import random
import socket
import ssl
import struct
import sys
import time

HASHES = {"sha-256": hashlib.sha256, "sha-384": hashlib.sha384, "sha-512": hashlib.sha512}


def family(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def pseudoheader(src, dst, sport, dport, length, stream_id):
    fam = family(src)
    return (socket.inet_pton(fam, src) + socket.inet_pton(fam, dst) + bytes([0, 17]) +
            struct.pack("!HHHI", length, sport, dport, stream_id))


def digest(payload, src, dst, sport, dport, stream_id, hash_name="sha-256"):
    return HASHES[hash_name](pseudoheader(src, dst, sport, dport, len(payload), stream_id) + payload).digest()


def manifest(stream_id, manifest_seq, first_seq, digests, tlvs=None, count=None):
    """Wire form of draft-05 section 3.3; tlvs (bytes) sets the T flag and TLV Space."""
    n = len(digests) if count is None else count
    head = struct.pack("!IIIH", stream_id, manifest_seq & 0xffffffff, first_seq & 0xffffffff,
                       (0x8000 if tlvs is not None else 0) | n)
    if tlvs is not None:
        head += struct.pack("!H", len(tlvs)) + tlvs
    return head + b"".join(digests)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


class Peer:
    def __init__(self, args):
        self.a = args
        self.fam = family(args.group)
        self.sock = socket.socket(self.fam, socket.SOCK_DGRAM)
        self.sock.bind((args.source, args.sport))
        self.sport = self.sock.getsockname()[1]
        if self.fam == socket.AF_INET:
            self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
            self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(args.source))
        else:
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 1)
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex(args.interface))
        self.raw = None
        self.stream_id = args.stream_id
        self.mseq = 0
        self.expected = {"verified": [], "dropped": {}, "disconnects": 0}
        host, port = args.listen.rsplit(":", 1)
        host = host.strip("[]")
        self.server = socket.socket(family(host), socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((host, int(port)))
        self.server.listen(8)
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.minimum_version = ssl.TLSVersion.TLSv1_3
        self.tls.load_cert_chain(args.cert, args.key)
        self.conn = None

    # -- manifest channel ------------------------------------------------------------
    def accept(self, timeout=10.0):
        """Waits for a verifier; returns False when its handshake fails (untrusted)."""
        self.server.settimeout(timeout)
        raw, _ = self.server.accept()
        try:
            self.conn = self.tls.wrap_socket(raw, server_side=True)
            return True
        except (ssl.SSLError, OSError):
            raw.close()
            return False

    def write(self, data):
        self.conn.sendall(data)

    def publish(self, first_seq, digests, **kw):
        stream_id = kw.pop("stream_id", self.stream_id)
        self.write(manifest(stream_id, self.mseq, first_seq, digests, **kw))
        self.mseq += 1

    def hangup(self):
        """Closes the connection (the verifier sees it end) and waits for its next one."""
        try:
            self.conn.unwrap()
        except (ssl.SSLError, OSError):
            pass
        self.conn.close()
        self.conn = None

    # -- data ----------------------------------------------------------------------------
    def d(self, payload, **kw):
        return digest(payload, kw.get("src", self.a.source), kw.get("dst", self.a.group), kw.get("sport", self.sport),
                      kw.get("dport", self.a.port), kw.get("stream_id", self.stream_id), kw.get("hash", "sha-256"))

    def send(self, payload, port=None):
        self.sock.sendto(payload, (self.a.group, port or self.a.port))

    def forge(self, payload, sport=None):
        """A datagram from S:sport that this socket did not send: IP header written by hand."""
        sport = self.sport if sport is None else sport
        if self.fam == socket.AF_INET6:
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 1)
            s.bind((self.a.source, 0))
            s.sendto(payload, (self.a.group, self.a.port))
            s.close()
            return
        if self.raw is None:
            self.raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
            self.raw.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
        src, dst = socket.inet_aton(self.a.source), socket.inet_aton(self.a.group)
        udp_len = 8 + len(payload)
        pseudo = src + dst + struct.pack("!BBH", 0, 17, udp_len)
        udp = struct.pack("!HHHH", sport, self.a.port, udp_len, 0) + payload
        udp = udp[:6] + struct.pack("!H", checksum(pseudo + udp) or 0xffff) + udp[8:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, random.getrandbits(16), 0, 1, 17, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        self.raw.sendto(ip + udp, (self.a.group, 0))

    def expect(self, payloads):
        self.expected["verified"] += [p.hex() for p in payloads]

    def expect_drop(self, reason, n=1):
        self.expected["dropped"][reason] = self.expected["dropped"].get(reason, 0) + n

    def hold(self, extra=0.3):
        """Long enough for every pending packet to time out at the verifier."""
        time.sleep(self.a.data_hold / 1000 + extra)


def payloads(name, n, size=64):
    return [("%s-%04d " % (name, i)).encode().ljust(size, b".") for i in range(n)]


# -- scenarios: each gets a Peer whose verifier has connected ----------------------------

def sc_basic(p):
    ps = payloads("basic", 20)
    p.publish(0, [p.d(x) for x in ps])
    time.sleep(0.1)
    for x in ps:
        p.send(x)
    p.expect(ps)


def sc_bitflip(p):
    ps = payloads("bitflip", 10)
    p.publish(0, [p.d(x) for x in ps])
    time.sleep(0.1)
    for i, x in enumerate(ps):
        if i == 3:
            flipped = bytearray(x)
            flipped[20] ^= 0x04
            p.send(bytes(flipped))
            p.expect_drop("timeout")
        p.send(x)
    p.expect(ps)
    p.hold()


def sc_spoof(p):
    ps = payloads("legit", 10)
    p.publish(0, [p.d(x) for x in ps])
    time.sleep(0.1)
    for i, x in enumerate(ps):
        p.send(x)
        # Forged with the sender's address and port: the same 5-tuple, other bytes.
        p.forge(("forged-%04d " % i).encode().ljust(64, b"!"))
        p.expect_drop("timeout")
        # A legit payload replayed from another source port: the pseudoheader differs.
        p.forge(x, sport=p.sport + 1 if p.sport < 65535 else 1024)
        p.expect_drop("timeout")
    p.expect(ps)
    p.hold()


def sc_wrong_dest(p):
    ps = payloads("wrongdest", 6)
    other_group = "232.250.250.250" if p.fam == socket.AF_INET else "ff3e::fafa"
    # Digests for another port and for another group: the packets that arrive here
    # carry those payloads, so nothing may match.
    p.publish(0, [p.d(x, dport=p.a.port + 1) for x in ps[:3]] + [p.d(x, dst=other_group) for x in ps[3:]])
    time.sleep(0.1)
    for x in ps:
        p.send(x)
    p.expect_drop("timeout", len(ps))
    p.hold()


def sc_replay(p):
    ps = payloads("replay", 2)
    p.publish(0, [p.d(x) for x in ps])
    time.sleep(0.1)
    p.send(ps[0])
    for _ in range(3):
        p.send(ps[0])  # within the hold-down: the slot is consumed
    p.expect_drop("replay", 3)
    p.send(ps[1])
    p.expect(ps)
    # After the digest hold time the digest is gone: a replay then waits for a digest
    # that never comes.
    time.sleep(p.a.digest_hold / 1000 + 0.5)
    p.send(ps[0])
    p.expect_drop("timeout")
    p.hold()


def sc_overlap(p):
    ps = payloads("overlap", 15)
    ds = [p.d(x) for x in ps]
    p.publish(0, ds[:10])
    p.publish(5, ds[5:15])   # overlaps 5-9
    p.publish(0, ds[:10])    # the same manifest again
    time.sleep(0.1)
    for x in ps:
        p.send(x)
    p.expect(ps)
    time.sleep(0.1)
    p.publish(0, ds[:10])    # re-sent after delivery: must not re-arm
    time.sleep(0.1)
    p.send(ps[3])
    p.expect_drop("replay")


def sc_identical(p):
    x = payloads("same", 1)[0]
    p.publish(0, [p.d(x), p.d(x)])  # two slots, one payload
    time.sleep(0.1)
    for _ in range(3):
        p.send(x)
    p.expect([x, x])
    p.expect_drop("replay")


def sc_reorder(p):
    ps = payloads("reorder", 30)
    p.publish(0, [p.d(x) for x in ps])
    time.sleep(0.1)
    order = list(range(30))
    random.Random(7).shuffle(order)
    for i in order:
        p.send(ps[i])
    p.expect(ps)


def sc_other_stream(p):
    ps = payloads("otherstream", 5)
    p.publish(0, [p.d(x, stream_id=p.stream_id + 1) for x in ps])
    time.sleep(0.1)
    for x in ps:
        p.send(x)
    p.expect_drop("timeout", len(ps))
    p.hold()


def sc_hash_mismatch(p):
    ps = payloads("hashmismatch", 5)
    # A sender hashing with SHA-384 (truncated to fit) while the metadata says sha-256.
    p.publish(0, [p.d(x, hash="sha-384")[:32] for x in ps])
    time.sleep(0.1)
    for x in ps:
        p.send(x)
    p.expect_drop("timeout", len(ps))
    p.hold()


def sc_early(p):
    ps = payloads("early", 10)
    for x in ps[:5]:
        p.send(x)          # before their manifest
    time.sleep(p.a.data_hold / 1000 / 3)
    p.publish(0, [p.d(x) for x in ps[:5]])
    p.expect(ps[:5])       # within data-hold-time: delivered
    for x in ps[5:]:
        p.send(x)
    time.sleep(p.a.data_hold / 1000 + 0.4)
    p.publish(5, [p.d(x) for x in ps[5:]])
    p.expect_drop("timeout", 5)  # after it: dropped


def sc_expired(p):
    ps = payloads("expired", 5)
    p.publish(0, [p.d(x) for x in ps])
    time.sleep(p.a.digest_hold / 1000 + 0.4)
    for x in ps:
        p.send(x)
    p.expect_drop("timeout", 5)
    p.hold()


def sc_cut(p):
    ps = payloads("cut", 10)
    wire = manifest(p.stream_id, p.mseq, 0, [p.d(x) for x in ps])
    # The header, six digests and half of the seventh; then the connection ends.
    p.write(wire[:14 + 6 * 32 + 16])
    time.sleep(0.1)
    p.hangup()
    p.expected["disconnects"] += 1
    time.sleep(0.1)
    for x in ps:
        p.send(x)
    p.expect(ps[:6])
    p.expect_drop("timeout", 4)
    p.hold()


def sc_wrong_stream(p):
    """Wrong stream id, then a TLV overrun: each disconnects, with backoff; then good."""
    ps = payloads("backoff", 4)
    p.publish(0, [p.d(x) for x in ps], stream_id=p.stream_id + 7)
    p.expected["disconnects"] += 1
    assert p.accept()
    # TLV Space 3 holds Pad with length 5: the TLV runs past TLV Space.
    p.publish(0, [p.d(x) for x in ps], tlvs=bytes([0, 5, 0]))
    p.expected["disconnects"] += 1
    assert p.accept()
    # A Refresh Deadline TLV and unknown TLVs are fine.
    p.publish(0, [p.d(x) for x in ps], tlvs=bytes([128, 0, 2, 0, 30]) + bytes([77, 1, 9]) + bytes([200, 0, 1, 9]))
    time.sleep(0.1)
    for x in ps:
        p.send(x)
    p.expect(ps)


def sc_good_then_garbage(p):
    """Each connection: one valid manifest, then one with a wrong stream id. One good
    manifest must not start the backoff over: reconnects come 1 s, 2 s, 4 s later."""
    for i in range(4):
        ps = payloads("goodbad%d" % i, 2)
        p.publish(2 * i, [p.d(x) for x in ps])
        time.sleep(0.1)
        p.publish(2 * i + 2, [p.d(x) for x in ps], stream_id=p.stream_id + 7)
        p.expected["disconnects"] += 1
        assert p.accept()
    time.sleep(0.1)


def sc_manifest_gap(p):
    """Manifest sequence numbers 0, then 4 (three lost), then 5: one gap of three."""
    ps = payloads("gap", 3)
    p.publish(0, [p.d(ps[0])])
    p.mseq += 3
    p.publish(1, [p.d(ps[1])])
    p.publish(2, [p.d(ps[2])])
    time.sleep(0.1)
    for x in ps:
        p.send(x)
    p.expect(ps)


def sc_abusive(p):
    """Count 32767 with 64-byte digests (sha-512): 2 MiB, over the 1 MiB bound."""
    junk = os.urandom(64)
    head = manifest(p.stream_id, p.mseq, 0, [], count=32767)
    try:
        p.write(head)
        for _ in range(64):
            p.write(junk * 512)
    except OSError:
        pass  # the verifier hung up, as it should
    p.expected["disconnects"] += 1
    assert p.accept()
    ps = payloads("afterabuse", 3)
    p.publish(0, [p.d(x, hash="sha-512") for x in ps])
    time.sleep(0.1)
    for x in ps:
        p.send(x)
    p.expect(ps)


def sc_untrusted(p):
    ps = payloads("untrusted", 5)
    p.expected["disconnects"] += 1  # the verifier refused the certificate
    time.sleep(0.5)
    for x in ps:
        p.send(x)
    p.expect_drop("timeout", len(ps))
    p.hold()


SCENARIOS = {k[3:]: v for k, v in globals().items() if k.startswith("sc_")}


def run_scenario(args):
    p = Peer(args)
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("%d\n" % p.sport)
    if args.name == "untrusted":
        p.tls.load_cert_chain(args.cert.replace("server.", "untrusted."), args.key.replace("server.", "untrusted."))
        p.accept()
    else:
        assert p.accept(), "the verifier's TLS handshake failed"
    time.sleep(0.3)  # the verifier joins while it connects
    SCENARIOS[args.name](p)
    time.sleep(0.2)
    print(json.dumps(p.expected), flush=True)
    # Stay up until told to go, so that the verifier does not see a spurious hangup.
    time.sleep(args.linger)


def forger(args):
    p = argparse.Namespace(**vars(args))
    p.listen = "127.0.0.1:0"
    p.cert = p.key = None
    peer = Peer.__new__(Peer)
    peer.a = p
    peer.fam = family(args.group)
    peer.raw = None
    peer.sport = args.sport
    return peer


def run_inject(args):
    peer = forger(args)
    start = time.monotonic()
    for i in range(args.count):
        # --sports N: each packet from the next of N source ports after --sport.
        sport = args.sport + i % args.sports if args.sports > 1 else args.sport
        peer.forge(("FORGED packet %d from %s:%d " % (i, args.source, sport)).encode().ljust(args.size, b"!"), sport)
        ahead = (i + 1) / args.rate - (time.monotonic() - start)
        if ahead > 0.002:
            time.sleep(ahead)


def run_replay(args):
    """Sends FILE again, in --size pieces, as if from S:sport: captured packets replayed."""
    peer = forger(args)
    data = open(args.file, "rb").read()
    for at in range(0, len(data), args.size):
        peer.forge(data[at:at + args.size])
        time.sleep(0.002)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("scenario", "inject", "replay", "digest"):
        s = sub.add_parser(name)
        s.add_argument("--source", required=True)
        s.add_argument("--group", required=True)
        s.add_argument("--port", type=int, required=True)
        s.add_argument("--stream-id", type=int, default=1)
        s.add_argument("--interface", default="veth0")
        s.add_argument("--sport", type=int, default=0)
    sc = sub.choices["scenario"]
    sc.add_argument("name", choices=sorted(SCENARIOS))
    sc.add_argument("--listen", required=True)
    sc.add_argument("--cert", required=True)
    sc.add_argument("--key", required=True)
    sc.add_argument("--data-hold", type=int, default=2000)
    sc.add_argument("--digest-hold", type=int, default=10000)
    sc.add_argument("--ready")
    sc.add_argument("--linger", type=float, default=30)
    inj = sub.choices["inject"]
    inj.add_argument("--count", type=int, default=10)
    inj.add_argument("--rate", type=float, default=10)
    inj.add_argument("--size", type=int, default=64)
    inj.add_argument("--sports", type=int, default=1)
    rp = sub.choices["replay"]
    rp.add_argument("--file", required=True)
    rp.add_argument("--size", type=int, default=1200)
    dg = sub.choices["digest"]
    dg.add_argument("payload")
    args = ap.parse_args()
    if args.cmd == "scenario":
        run_scenario(args)
    elif args.cmd == "inject":
        run_inject(args)
    elif args.cmd == "replay":
        run_replay(args)
    else:
        print(digest(bytes.fromhex(args.payload), args.source, args.group, args.sport, args.port, args.stream_id).hex())


if __name__ == "__main__":
    sys.exit(main())
