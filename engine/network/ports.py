"""Published ports: hold the host port with a bound socket (kept by netd), forward with DNAT.

The bound (not listening) socket makes the port *allocated* the way docker-proxy does: a second
container or a host process binding it gets EADDRINUSE, and we fail before the container
starts. Traffic is forwarded by iptables DNAT (nat PREROUTING for other hosts, OUTPUT for the
host itself, 127.0.0.1 included thanks to route_localnet on the bridge + MASQUERADE).
"""
from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket

from ..errors import InvalidArgument, NetworkError
from ..types import PortBinding

SOCKTYPES = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM, "sctp": socket.SOCK_STREAM}
IPPROTO_SCTP = 132


def _socket(proto: str, family: int = socket.AF_INET) -> socket.socket:
    if proto == "sctp":
        return socket.socket(family, socket.SOCK_STREAM, IPPROTO_SCTP)
    return socket.socket(family, SOCKTYPES[proto])


def _check_sctp(pb) -> None:
    """A clear error when the kernel cannot do SCTP (no CONFIG_IP_SCTP / sctp module)."""
    try:
        _socket("sctp").close()
    except OSError as e:
        raise NetworkError(f"cannot publish port {pb.container_port}/sctp: this kernel has no "
                           f"SCTP support ({e.strerror}); load the sctp kernel module or "
                           f"publish the port as tcp/udp") from None


def normalize(bindings) -> list[PortBinding]:
    out = []
    for pb in bindings:
        proto = (pb.protocol or "tcp").lower()
        if proto not in SOCKTYPES:
            raise InvalidArgument(f"published port {pb.container_port}/{proto}: "
                                  f"invalid protocol (tcp, udp or sctp)")
        if not 0 < int(pb.container_port) < 65536:
            raise InvalidArgument(f"invalid container port {pb.container_port}")
        host_ip = pb.host_ip or "0.0.0.0"
        try:
            addr = ipaddress.ip_address(host_ip)
        except ValueError:
            raise InvalidArgument(f"invalid host IP {host_ip!r} for port {pb.container_port}") from None
        if addr.version == 6:
            continue                      # IPv4-only engine: the IPv6 twin of a binding is skipped
        if pb.host_port is not None and not 0 <= int(pb.host_port) < 65536:
            raise InvalidArgument(f"invalid host port {pb.host_port}")
        end = getattr(pb, "host_port_end", None)
        if end is not None and not (pb.host_port or 0) <= int(end) < 65536:
            raise InvalidArgument(f"invalid host port range {pb.host_port}-{end}")
        if proto == "sctp":
            _check_sctp(pb)
        out.append(PortBinding(int(pb.container_port), proto, host_ip, pb.host_port or 0,
                               int(end) if end and end != pb.host_port else None))
    return out


def bind_host_ports(bindings: list[PortBinding], holders_of) -> tuple[list[socket.socket], list[PortBinding]]:
    """Bind a socket per binding. -> (sockets, bindings with host ports resolved).

    ``holders_of(ip, port, proto)`` names a sandbox of ours holding the port, for the message.
    On failure every socket made so far is closed and NetworkError names the port."""
    socks, resolved = [], []
    try:
        for pb in bindings:
            s = _bind_one(pb, holders_of) if pb.host_port_end else _bind_exact(pb, holders_of)
            socks.append(s)
            resolved.append(PortBinding(pb.container_port, pb.protocol, pb.host_ip,
                                        s.getsockname()[1]))
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks, resolved


def _bind_exact(pb: PortBinding, holders_of) -> socket.socket:
    s = _socket(pb.protocol)
    try:
        s.bind((pb.host_ip, pb.host_port))
    except OSError as e:
        s.close()
        raise _bind_error(pb, e, holders_of) from None
    return s


def _bind_one(pb: PortBinding, holders_of) -> socket.socket:
    """A host port range ("8000-8010:80"): the first port of the range that binds."""
    for port in range(pb.host_port, pb.host_port_end + 1):
        s = _socket(pb.protocol)
        try:
            s.bind((pb.host_ip, port))
            return s
        except OSError as e:
            s.close()
            if e.errno != errno.EADDRINUSE:
                raise _bind_error(PortBinding(pb.container_port, pb.protocol, pb.host_ip, port),
                                  e, holders_of) from None
    raise NetworkError(f"Bind for {pb.host_ip}:{pb.host_port}-{pb.host_port_end} failed: "
                       f"port is already allocated (every port of the range is in use)")


def _bind_error(pb: PortBinding, e: OSError, holders_of) -> NetworkError:
    where = f"{pb.host_ip}:{pb.host_port}"
    if e.errno == errno.EADDRINUSE:
        if holders_of(pb.host_ip, pb.host_port, pb.protocol):
            return NetworkError(f"Bind for {where} failed: port is already allocated")
        return NetworkError(f"failed to bind host port {where}/{pb.protocol}: address already in use")
    if e.errno == errno.EADDRNOTAVAIL:
        return NetworkError(f"failed to bind host port {where}/{pb.protocol}: "
                            f"cannot assign requested address (no such address on this host)")
    return NetworkError(f"failed to bind host port {where}/{pb.protocol}: {e.strerror}")


def holders(sandbox_dir, ip: str, port: int, proto: str) -> list[str]:
    """Container ids of our sandboxes (this engine root) that publish ip:port/proto."""
    found = []
    try:
        names = os.listdir(sandbox_dir)
    except FileNotFoundError:
        return []
    for name in names:
        if name.startswith(".") or not name.endswith(".json"):
            continue                          # a record being written (temp file)
        try:
            with open(os.path.join(sandbox_dir, name)) as f:
                rec = json.load(f)
        except (OSError, ValueError):
            continue
        for p in rec.get("ports", []):
            same = p["host_port"] == port and p["protocol"] == proto
            if same and (p["host_ip"] == ip or "0.0.0.0" in (ip, p["host_ip"])):
                found.append(rec["cid"])
    return found


def forwards(resolved: list[PortBinding], container_ip: str):
    return [(pb.protocol, pb.host_ip, pb.host_port, container_ip, pb.container_port)
            for pb in resolved]
