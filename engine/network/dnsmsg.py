"""DNS wire format (RFC 1035), just what the embedded resolver needs: parse a query, build
answers with A / PTR records, or an error / empty answer. Standard library only.
"""
from __future__ import annotations

import socket
import struct

TYPE_A, TYPE_PTR, TYPE_AAAA, TYPE_ANY = 1, 12, 28, 255
CLASS_IN = 1
RCODE_OK, RCODE_FORMERR, RCODE_SERVFAIL, RCODE_NXDOMAIN = 0, 1, 2, 3


class DNSFormatError(ValueError):
    pass


class Query:
    """A parsed question (a plain class: netd starts without importing dataclasses)."""

    __slots__ = ("id", "flags", "name", "qtype", "qclass", "question")

    def __init__(self, id: int, flags: int, name: str, qtype: int, qclass: int,
                 question: bytes) -> None:
        self.id, self.flags, self.qtype, self.qclass = id, flags, qtype, qclass
        self.name = name            # lower case, no trailing dot
        self.question = question    # the raw question section (echoed in answers)

    @property
    def recursion_desired(self) -> bool:
        return bool(self.flags & 0x0100)


def _read_name(data: bytes, offset: int) -> tuple[str, int]:
    labels, jumped, end, hops = [], False, offset, 0
    while True:
        if offset >= len(data):
            raise DNSFormatError("name runs past the packet")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(data) or hops > 20:
                raise DNSFormatError("bad compression pointer")
            if not jumped:
                end = offset + 2
            offset, jumped, hops = ((length & 0x3F) << 8) | data[offset + 1], True, hops + 1
            continue
        if length == 0:
            if not jumped:
                end = offset + 1
            break
        labels.append(data[offset + 1:offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length
    return ".".join(labels), end


def parse_query(data: bytes) -> Query:
    if len(data) < 12:
        raise DNSFormatError("packet shorter than a DNS header")
    qid, flags, qdcount = struct.unpack("!HHH", data[:6])
    if flags & 0x8000 or qdcount != 1:
        raise DNSFormatError("not a single-question query")
    name, off = _read_name(data, 12)
    if off + 4 > len(data):
        raise DNSFormatError("question truncated")
    qtype, qclass = struct.unpack("!HH", data[off:off + 4])
    return Query(qid, flags, name.lower().rstrip("."), qtype, qclass, data[12:off + 4])


def encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("ascii", "replace")[:63]
            out += bytes([len(raw)]) + raw
    return out + b"\x00"


def _header(q: Query, rcode: int, ancount: int) -> bytes:
    flags = 0x8000 | 0x0400 | (q.flags & 0x0100) | 0x0080 | rcode   # QR AA RD(copied) RA
    return struct.pack("!HHHHHH", q.id, flags, 1, ancount, 0, 0)


def answer_a(q: Query, addresses: list[str], ttl: int = 600) -> bytes:
    """A records (IPv4 addresses), or AAAA records when ``q`` asks for AAAA."""
    family, rtype, size = ((socket.AF_INET6, TYPE_AAAA, 16) if q.qtype == TYPE_AAAA
                           else (socket.AF_INET, TYPE_A, 4))
    records = b""
    for addr in addresses:
        records += b"\xc0\x0c" + struct.pack("!HHIH", rtype, CLASS_IN, ttl, size)
        records += socket.inet_pton(family, addr)
    return _header(q, RCODE_OK, len(addresses)) + q.question + records


def answer_ptr(q: Query, names: list[str], ttl: int = 600) -> bytes:
    records = b""
    for name in names:
        rdata = encode_name(name)
        records += b"\xc0\x0c" + struct.pack("!HHIH", TYPE_PTR, CLASS_IN, ttl, len(rdata)) + rdata
    return _header(q, RCODE_OK, len(names)) + q.question + records


def answer_error(q: Query, rcode: int) -> bytes:
    return _header(q, rcode, 0) + q.question


def formerr(data: bytes) -> bytes | None:
    """A FORMERR reply for a packet we could not parse (None when not even the id is there)."""
    if len(data) < 2:
        return None
    return data[:2] + struct.pack("!HHHHH", 0x8081, 0, 0, 0, 0)


def reverse_name_to_ip(name: str) -> str | None:
    """'2.0.28.172.in-addr.arpa' -> '172.28.0.2'; '<32 nibbles>.ip6.arpa' -> the IPv6 text."""
    if name.endswith(".ip6.arpa"):
        nibbles = name[:-len(".ip6.arpa")].split(".")
        if len(nibbles) != 32 or not all(len(n) == 1 and n in "0123456789abcdef" for n in nibbles):
            return None
        packed = bytes.fromhex("".join(reversed(nibbles)))
        return socket.inet_ntop(socket.AF_INET6, packed)
    suffix = ".in-addr.arpa"
    if not name.endswith(suffix):
        return None
    parts = name[:-len(suffix)].split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return None
    return ".".join(reversed(parts))


def build_query(name: str, qtype: int = TYPE_A, qid: int = 0x1234) -> bytes:
    """A recursive query (used by tests and health checks)."""
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + \
        struct.pack("!HH", qtype, CLASS_IN)


def parse_a_answers(data: bytes) -> tuple[int, list[str]]:
    """(rcode, [A and AAAA addresses]) of a response (tests and tools)."""
    qid, flags, qd, an = struct.unpack("!HHHH", data[:8])
    off = 12
    for _ in range(qd):
        _, off = _read_name(data, off)
        off += 4
    addrs = []
    for _ in range(an):
        _, off = _read_name(data, off)
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", data[off:off + 10])
        off += 10
        if rtype == TYPE_A and rdlen == 4:
            addrs.append(socket.inet_ntop(socket.AF_INET, data[off:off + 4]))
        elif rtype == TYPE_AAAA and rdlen == 16:
            addrs.append(socket.inet_ntop(socket.AF_INET6, data[off:off + 16]))
        off += rdlen
    return flags & 0xF, addrs
