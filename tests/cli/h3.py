#!/usr/bin/env python3
"""HTTP/3 bytes written by hand (RFC 9114 frames, RFC 9204 QPACK static table only),
for the QUIC interop tests: no HTTP/3 library is used on our side.

  h3.py request AUTHORITY PATH   a GET request stream (a HEADERS frame) on stdout
  h3.py body                     stdin: a response stream; stdout: the DATA payload;
                                 exit 1 unless the status is 200
  h3.py serve FILE               one stream on stdin (taps-cat -e per stream): a request
                                 stream (first frame HEADERS) is answered 200 + FILE;
                                 a unidirectional stream (control, QPACK) is read out
"""
import sys

# QPACK static table indices (RFC 9204 Appendix A).
AUTHORITY, PATH, METHOD_GET, SCHEME_HTTPS, STATUS_200 = 0, 1, 17, 23, 25


def varint(n):
    for bits, prefix in ((6, 0), (14, 0x4000), (30, 0x80000000), (62, 0xC000000000000000)):
        if n < (1 << bits):
            return (prefix | n).to_bytes((bits + 2) // 8, "big")
    raise ValueError(n)


def read_varint(data, i):
    length = 1 << (data[i] >> 6)
    value = data[i] & 0x3F
    for k in range(1, length):
        value = (value << 8) | data[i + k]
    return value, i + length


def frame(kind, payload):
    return varint(kind) + varint(len(payload)) + payload


def indexed(index):  # Indexed Field Line, static table (T=1)
    return bytes([0xC0 | index])


def literal(index, value):  # Literal Field Line with static Name Reference, no Huffman
    v = value.encode()
    assert index < 16 and len(v) < 127
    return bytes([0x50 | index, len(v)]) + v


def field_section(*lines):  # Required Insert Count 0, Delta Base 0: static only
    return bytes([0, 0]) + b"".join(lines)


def main():
    out = sys.stdout.buffer
    if sys.argv[1] == "request":
        out.write(frame(1, field_section(indexed(METHOD_GET), indexed(SCHEME_HTTPS),
                                         literal(AUTHORITY, sys.argv[2]), literal(PATH, sys.argv[3]))))
    elif sys.argv[1] == "body":
        data, i, status, body = sys.stdin.buffer.read(), 0, None, bytearray()
        while i < len(data):
            kind, i = read_varint(data, i)
            length, i = read_varint(data, i)
            payload = data[i:i + length]
            i += length
            if kind == 0:
                body += payload
            elif kind == 1 and status is None:
                status = payload[2] == (0xC0 | STATUS_200)
        out.write(body)
        sys.stderr.write("h3.py: status %s, %d body bytes\n" % ("200" if status else "not 200", len(body)))
        sys.exit(0 if status else 1)
    elif sys.argv[1] == "serve":
        first = sys.stdin.buffer.read(1)
        sys.stdin.buffer.read()
        if first == b"\x01":
            body = open(sys.argv[2], "rb").read()
            out.write(frame(1, field_section(indexed(STATUS_200))) + frame(0, body))


main()
