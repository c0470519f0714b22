"""rtnetlink in-process (the standard library's AF_NETLINK socket, no ``ip`` subprocess).

Just what bridges and veth endpoints need: create a bridge, a veth pair whose peer is born
inside a container's netns, set addresses / MAC / up / master / default route, delete a link.
Each call opens one NETLINK_ROUTE socket, sends its requests with NLM_F_ACK and checks every
acknowledgement; a kernel refusal becomes OSError(errno, "<what>: <strerror>").
Configuration inside a netns runs in a throwaway thread that ``setns``-ed there
(``netns.run_in_netns``): a netlink socket belongs to the netns it was created in.
"""
from __future__ import annotations

import _socket as socket        # the C module: socket.py's IntEnum conversions cost ~7 ms
import errno
import os
import struct

RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_NEWROUTE = 16, 17, 20, 24
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
NLMSG_ERROR = 2
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MASTER, IFLA_LINKINFO, IFLA_NET_NS_FD = 1, 3, 10, 18, 28
IFLA_INFO_KIND, IFLA_INFO_DATA, VETH_INFO_PEER = 1, 2, 1
IFA_ADDRESS, IFA_LOCAL = 1, 2
IFA_F_NODAD = 0x02                      # IPv6: usable at once (no duplicate address detection)
RTA_OIF, RTA_GATEWAY = 4, 5
IFF_UP = 0x1
_HDR = struct.Struct("=IHHII")
_IFINFO = struct.Struct("=BxHiII")
_CREATE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL


def _attr(kind: int, payload: bytes) -> bytes:
    size = 4 + len(payload)
    return struct.pack("=HH", size, kind) + payload + b"\0" * (-size % 4)


def _ifinfo(index: int = 0, up: bool = False) -> bytes:
    return _IFINFO.pack(socket.AF_UNSPEC, 0, index, IFF_UP if up else 0, IFF_UP if up else 0)


def _name(name: str) -> bytes:
    return _attr(IFLA_IFNAME, name.encode() + b"\0")


def _mac(mac: str) -> bytes:
    return _attr(IFLA_ADDRESS, bytes.fromhex(mac.replace(":", "")))


class _Socket:
    """One NETLINK_ROUTE socket; ``call`` sends a request and waits for its ack."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, 0)
        self.sock.bind((0, 0))
        self.seq = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def call(self, msg_type: int, flags: int, body: bytes, what: str) -> None:
        self.seq += 1
        self.sock.send(_HDR.pack(_HDR.size + len(body), msg_type, flags, self.seq, 0) + body)
        while True:
            data = self.sock.recv(65536)
            offset = 0
            while offset + _HDR.size <= len(data):
                length, kind, _flags, seq, _pid = _HDR.unpack_from(data, offset)
                if kind == NLMSG_ERROR and seq == self.seq:
                    code = -struct.unpack_from("=i", data, offset + _HDR.size)[0]
                    if code:
                        raise OSError(code, f"{what}: {os.strerror(code)}")
                    return
                offset += max((length + 3) & ~3, _HDR.size)


def _addr_body(index: int, ip: str, prefix: int) -> bytes:
    if ":" in ip:                                         # IPv6, without DAD (like Docker)
        packed = socket.inet_pton(socket.AF_INET6, ip)
        return (struct.pack("=BBBBI", socket.AF_INET6, prefix, IFA_F_NODAD, 0, index)
                + _attr(IFA_ADDRESS, packed))
    packed = socket.inet_aton(ip)
    return (struct.pack("=BBBBI", socket.AF_INET, prefix, 0, 0, index)
            + _attr(IFA_LOCAL, packed) + _attr(IFA_ADDRESS, packed))


def create_bridge(name: str, ip: str, prefix: int, ip6: str = "", prefix6: int = 64) -> None:
    """``ip link add NAME type bridge; ip addr add IP/PREFIX dev NAME; ip link set NAME up``
    (+ ``ip -6 addr add IP6/PREFIX6 nodad`` when ``ip6``)."""
    with _Socket() as nl:
        info = _attr(IFLA_LINKINFO, _attr(IFLA_INFO_KIND, b"bridge"))
        nl.call(RTM_NEWLINK, _CREATE, _ifinfo() + _name(name) + info, f"create bridge {name}")
        index = socket.if_nametoindex(name)
        nl.call(RTM_NEWADDR, _CREATE, _addr_body(index, ip, prefix), f"address {ip} on {name}")
        if ip6:
            nl.call(RTM_NEWADDR, _CREATE, _addr_body(index, ip6, prefix6),
                    f"address {ip6} on {name}")
        nl.call(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, _ifinfo(index, up=True), f"{name} up")


def create_veth(host_name: str, peer_name: str, peer_mac: str, netns_path: str, master: str) -> None:
    """A veth pair: ``host_name`` on bridge ``master`` (up), ``peer_name`` (with ``peer_mac``)
    created directly inside the netns mounted at ``netns_path``."""
    fd = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        peer = _ifinfo() + _name(peer_name) + _mac(peer_mac) + _attr(IFLA_NET_NS_FD,
                                                                     struct.pack("=I", fd))
        info = _attr(IFLA_LINKINFO, _attr(IFLA_INFO_KIND, b"veth")
                     + _attr(IFLA_INFO_DATA, _attr(VETH_INFO_PEER, peer)))
        with _Socket() as nl:
            nl.call(RTM_NEWLINK, _CREATE, _ifinfo() + _name(host_name) + info,
                    f"create veth {host_name}")
            master_attr = _attr(IFLA_MASTER, struct.pack("=I", socket.if_nametoindex(master)))
            nl.call(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK,
                    _ifinfo(socket.if_nametoindex(host_name), up=True) + master_attr,
                    f"attach {host_name} to {master}")
    finally:
        os.close(fd)


def configure_inside(ifname: str, ip: str, prefix: int, gateway: str | None,
                     ip6: str = "", prefix6: int = 64, gateway6: str | None = None) -> None:
    """Run inside the container's netns: address on ``ifname``, up, default route via gateway
    (and the IPv6 address / default route when ``ip6``: IPv6 is enabled on ``ifname`` first)."""
    index = socket.if_nametoindex(ifname)
    if ip6:
        with open(f"/proc/sys/net/ipv6/conf/{ifname}/disable_ipv6", "w") as f:
            f.write("0")
    with _Socket() as nl:
        nl.call(RTM_NEWADDR, _CREATE, _addr_body(index, ip, prefix), f"address {ip} on {ifname}")
        if ip6:
            nl.call(RTM_NEWADDR, _CREATE, _addr_body(index, ip6, prefix6),
                    f"address {ip6} on {ifname}")
        nl.call(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, _ifinfo(index, up=True), f"{ifname} up")
        if gateway:
            nl.call(RTM_NEWROUTE, _CREATE, _default_route(index, gateway),
                    f"default route via {gateway}")
        if ip6 and gateway6:
            nl.call(RTM_NEWROUTE, _CREATE, _default_route(index, gateway6),
                    f"default route via {gateway6}")


def _default_route(index: int, gateway: str) -> bytes:
    """rtmsg (main table, boot protocol, universe scope, unicast) + gateway + output device."""
    family, packed = ((socket.AF_INET6, socket.inet_pton(socket.AF_INET6, gateway))
                      if ":" in gateway else (socket.AF_INET, socket.inet_aton(gateway)))
    return (struct.pack("=BBBBBBBBI", family, 0, 0, 0, 254, 3, 0, 1, 0)
            + _attr(RTA_GATEWAY, packed) + _attr(RTA_OIF, struct.pack("=I", index)))


def delete_link(name: str) -> bool:
    """``ip link del NAME``; False if there was no such link."""
    with _Socket() as nl:
        try:
            nl.call(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, _ifinfo() + _name(name),
                    f"delete link {name}")
        except OSError as e:
            if e.errno in (errno.ENODEV, errno.ENOENT):
                return False
            raise
    return True
