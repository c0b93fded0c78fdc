#!/usr/bin/env python3
"""A tiny authoritative DNS server over UDP that answers late on purpose, for the
Resolution Delay tests (RFC 8305 section 3). The wire format (RFC 1035 section 4) is
written by hand: a header, the question echoed, answers that point back at it.

    slow_dns.py ADDR PORT RECORD...     RECORD = NAME/A|AAAA/ADDRESS[/DELAY_MS]

A name it knows without the asked type gets an empty answer (NODATA), an unknown name
NXDOMAIN; both at once. Every query is logged on stderr with the time it came and the
time it was answered.
"""
import heapq
import ipaddress
import select
import socket
import struct
import sys
import time

TYPES = {"A": 1, "AAAA": 28}


def parse_records(args):
    records = {}
    for arg in args:
        parts = arg.split("/")
        if len(parts) not in (3, 4) or parts[1] not in TYPES:
            sys.exit("bad record %r: NAME/A|AAAA/ADDRESS[/DELAY_MS]" % arg)
        name, kind, address = parts[0].lower().rstrip("."), TYPES[parts[1]], parts[2]
        delay = int(parts[3]) / 1000.0 if len(parts) == 4 else 0.0
        packed = ipaddress.ip_address(address).packed
        if len(packed) != (4 if kind == 1 else 16):
            sys.exit("bad record %r: the address is not of that type" % arg)
        records.setdefault((name, kind), {"delay": delay, "rdata": []})["rdata"].append(packed)
        records[(name, kind)]["delay"] = max(records[(name, kind)]["delay"], delay)
    return records


def parse_question(packet):
    """(id, flags, name, qtype, end of question) or None for what is not a query."""
    if len(packet) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", packet[:6])
    if flags & 0x8000 or qdcount != 1:
        return None
    labels, i = [], 12
    while True:
        if i >= len(packet):
            return None
        n = packet[i]
        i += 1
        if n == 0:
            break
        if n & 0xC0 or i + n > len(packet):
            return None
        labels.append(packet[i:i + n].decode("ascii", "replace").lower())
        i += n
    if i + 4 > len(packet):
        return None
    qtype, _qclass = struct.unpack("!HH", packet[i:i + 4])
    return qid, flags, ".".join(labels), qtype, i + 4


def answer(packet, records, known_names):
    qid, flags, name, qtype, end = parse_question(packet)
    entry = records.get((name, qtype))
    rcode = 0 if entry or name in known_names else 3
    rdata = entry["rdata"] if entry else []
    # QR, opcode 0, AA, RD copied from the query, RA.
    header = struct.pack("!HHHHHH", qid, 0x8480 | (flags & 0x0100) | rcode, 1, len(rdata), 0, 0)
    body = b"".join(struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(r)) + r for r in rdata)
    return header + packet[12:end] + body, (entry["delay"] if entry else 0.0), name, qtype


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    addr, port, records = sys.argv[1], int(sys.argv[2]), parse_records(sys.argv[3:])
    known_names = {name for name, _ in records}
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((addr, port))
    names = {v: k for k, v in TYPES.items()}
    start = time.monotonic()
    pending = []  # (due, sequence, reply, peer, what)
    sequence = 0
    print("ready", flush=True)
    while True:
        timeout = max(0.0, pending[0][0] - time.monotonic()) if pending else None
        readable, _, _ = select.select([sock], [], [], timeout)
        if readable:
            packet, peer = sock.recvfrom(4096)
            if parse_question(packet) is None:
                continue
            reply, delay, name, qtype = answer(packet, records, known_names)
            now = time.monotonic()
            what = "%s %s" % (name, names.get(qtype, str(qtype)))
            print("%.3f query %s" % (now - start, what), file=sys.stderr, flush=True)
            heapq.heappush(pending, (now + delay, sequence, reply, peer, what))
            sequence += 1
        while pending and pending[0][0] <= time.monotonic():
            _, _, reply, peer, what = heapq.heappop(pending)
            sock.sendto(reply, peer)
            print("%.3f answer %s" % (time.monotonic() - start, what), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
