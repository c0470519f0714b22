"""Published ports: hold the host port with a bound socket (kept by netd), forward with DNAT
(IPv4) or netd's userland proxy (IPv6 host addresses).

The bound (not listening) socket makes the port *allocated* the way docker-proxy does: a second
container or a host process binding it gets EADDRINUSE, and we fail before the container
starts. IPv4 traffic is forwarded by iptables DNAT (nat PREROUTING for other hosts, OUTPUT for
the host itself, 127.0.0.1 included thanks to route_localnet on the bridge + MASQUERADE).

IPv6 host addresses (``[::1]:8080:80``, ``[::]:8080:80`` and the ``[::]`` twin Docker adds to
a port published without a host IP) are served by a userland proxy in netd: the holder socket
(IPV6_V6ONLY, listening for TCP) relays to the container's IPv4 address. ip6tables DNAT cannot
do that job: IPv6 has no route_localnet (``[::1]`` could not be forwarded) and it cannot reach
a container whose network has no IPv6. The client address is not preserved (like Docker's
userland proxy).
"""
from __future__ import annotations

import errno
import json
import os
import socket

from ..errors import InvalidArgument, NetworkError
from ..types import PortBinding

SOCKTYPES = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM, "sctp": socket.SOCK_STREAM}
IPPROTO_SCTP = 132
WILDCARDS = ("0.0.0.0", "::")
RANDOM_TRIES = 20                  # random port: the v4 port must also be free on [::]
NO_IPV6 = (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL, errno.EPROTONOSUPPORT)


def _socket(proto: str, family: int = socket.AF_INET) -> socket.socket:
    if proto == "sctp":
        s = socket.socket(family, socket.SOCK_STREAM, IPPROTO_SCTP)
    else:
        s = socket.socket(family, SOCKTYPES[proto])
    if family == socket.AF_INET6:
        try:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)   # beside 0.0.0.0
        except OSError:
            s.close()
            raise
    return s


def is_v6(host_ip: str) -> bool:
    return ":" in host_ip


def show_addr(host_ip: str, port) -> str:
    """``0.0.0.0:8080`` / ``[::]:8080`` (docker port, ps)."""
    return f"[{host_ip}]:{port}" if is_v6(host_ip) else f"{host_ip}:{port}"


def _check_sctp(pb) -> None:
    """A clear error when the kernel cannot do SCTP (no CONFIG_IP_SCTP / sctp module)."""
    try:
        _socket("sctp").close()
    except OSError as e:
        raise NetworkError(f"cannot publish port {pb.container_port}/sctp: this kernel has no "
                           f"SCTP support ({e.strerror}); load the sctp kernel module or "
                           f"publish the port as tcp/udp") from None


def normalize(bindings) -> list[PortBinding]:
    """Checked bindings. host_ip stays "" for "all addresses": bind_host_ports binds it on
    0.0.0.0 and [::] (the IPv6 twin Docker adds), with the same host port."""
    import ipaddress
    out = []
    for pb in bindings:
        proto = (pb.protocol or "tcp").lower()
        if proto not in SOCKTYPES:
            raise InvalidArgument(f"published port {pb.container_port}/{proto}: "
                                  f"invalid protocol (tcp, udp or sctp)")
        if not 0 < int(pb.container_port) < 65536:
            raise InvalidArgument(f"invalid container port {pb.container_port}")
        host_ip = (pb.host_ip or "").strip("[]")
        if host_ip:
            try:
                host_ip = str(ipaddress.ip_address(host_ip))
            except ValueError:
                raise InvalidArgument(f"invalid host IP {pb.host_ip!r} for port "
                                      f"{pb.container_port}") from None
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
    """Bind a socket per address. -> (sockets, bindings with host IPs and ports resolved), the
    two lists aligned. A binding without host IP yields 0.0.0.0 and, when the host has IPv6,
    its [::] twin on the same port.

    ``holders_of(ip, port, proto)`` names a sandbox of ours holding the port, for the message.
    On failure every socket made so far is closed and NetworkError names the address."""
    socks, resolved = [], []
    try:
        for pb in bindings:
            for s, ip in _bind_binding(pb, holders_of):
                socks.append(s)
                resolved.append(PortBinding(pb.container_port, pb.protocol, ip,
                                            s.getsockname()[1]))
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks, resolved


def _bind_binding(pb: PortBinding, holders_of) -> list[tuple[socket.socket, str]]:
    if pb.host_ip:
        if pb.host_port_end:
            return [(_bind_range(pb, holders_of), pb.host_ip)]
        return [(_bind_exact(pb, holders_of), pb.host_ip)]
    # all addresses: 0.0.0.0 and the [::] twin on the same port
    if pb.host_port_end:
        ports = range(pb.host_port, pb.host_port_end + 1)
    elif pb.host_port:
        ports = [pb.host_port]
    else:
        ports = [0] * RANDOM_TRIES
    v4 = PortBinding(pb.container_port, pb.protocol, "0.0.0.0", pb.host_port, pb.host_port_end)
    last_error = None
    for port in ports:
        s4 = _try_bind(pb.protocol, "0.0.0.0", port)
        if isinstance(s4, OSError):
            if s4.errno != errno.EADDRINUSE or len(ports) == 1:
                raise _bind_error(_at(v4, port), s4, holders_of) from None
            last_error = s4
            continue
        port = s4.getsockname()[1]
        s6 = _try_bind(pb.protocol, "::", port)
        if not isinstance(s6, OSError):
            return [(s4, "0.0.0.0"), (s6, "::")]
        if s6.errno in NO_IPV6:
            return [(s4, "0.0.0.0")]              # no IPv6 on this host: IPv4 only
        s4.close()
        if s6.errno != errno.EADDRINUSE or len(ports) == 1:
            raise _bind_error(_at(v4, port, "::"), s6, holders_of) from None
        last_error = s6
    if pb.host_port_end:
        raise NetworkError(f"Bind for 0.0.0.0:{pb.host_port}-{pb.host_port_end} failed: port is "
                           f"already allocated (every port of the range is in use)")
    raise _bind_error(_at(v4, 0), last_error, holders_of)


def _at(pb: PortBinding, port: int, ip: str = "") -> PortBinding:
    return PortBinding(pb.container_port, pb.protocol, ip or pb.host_ip, port)


def _try_bind(proto: str, ip: str, port: int):
    """A socket bound to ip:port (listening for TCP on IPv6: netd proxies it), or the OSError."""
    try:
        s = _socket(proto, socket.AF_INET6 if is_v6(ip) else socket.AF_INET)
    except OSError as e:
        return e
    try:
        if is_v6(ip) and s.type == socket.SOCK_STREAM:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # TIME_WAIT of relays
            s.bind((ip, port))
            s.listen(128)
        else:
            s.bind((ip, port))
    except OSError as e:
        s.close()
        return e
    return s


def _bind_exact(pb: PortBinding, holders_of) -> socket.socket:
    s = _try_bind(pb.protocol, pb.host_ip, pb.host_port)
    if isinstance(s, OSError):
        raise _bind_error(pb, s, holders_of) from None
    return s


def _bind_range(pb: PortBinding, holders_of) -> socket.socket:
    """A host port range ("8000-8010:80"): the first port of the range that binds."""
    for port in range(pb.host_port, pb.host_port_end + 1):
        s = _try_bind(pb.protocol, pb.host_ip, port)
        if not isinstance(s, OSError):
            return s
        if s.errno != errno.EADDRINUSE:
            raise _bind_error(_at(pb, port), s, holders_of) from None
    raise NetworkError(f"Bind for {pb.host_ip}:{pb.host_port}-{pb.host_port_end} failed: "
                       f"port is already allocated (every port of the range is in use)")


def _bind_error(pb: PortBinding, e: OSError, holders_of) -> NetworkError:
    where = show_addr(pb.host_ip, pb.host_port)
    if e.errno == errno.EADDRINUSE:
        if holders_of(pb.host_ip, pb.host_port, pb.protocol):       # Docker's text: ::1:8080
            return NetworkError(f"Bind for {pb.host_ip}:{pb.host_port} failed: port is already allocated")
        return NetworkError(f"failed to bind host port {where}/{pb.protocol}: address already in use")
    if e.errno == errno.EADDRNOTAVAIL:
        return NetworkError(f"failed to bind host port {where}/{pb.protocol}: "
                            f"cannot assign requested address (no such address on this host)")
    return NetworkError(f"failed to bind host port {where}/{pb.protocol}: {e.strerror}")


def _overlaps(ip_a: str, ip_b: str) -> bool:
    """Two host IPs that cannot both hold one port: equal, or a wildcard of the same family."""
    if is_v6(ip_a) != is_v6(ip_b):
        return False
    return ip_a == ip_b or ip_a in WILDCARDS or ip_b in WILDCARDS


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
            if p["host_port"] == port and p["protocol"] == proto and _overlaps(ip, p["host_ip"]):
                found.append(rec["cid"])
    return found


def forwards(resolved: list[PortBinding], container_ip: str):
    """The DNAT forwards (IPv4 host addresses; IPv6 ones go through netd's proxy)."""
    return [(pb.protocol, pb.host_ip, pb.host_port, container_ip, pb.container_port)
            for pb in resolved if not is_v6(pb.host_ip)]


def proxies(resolved: list[PortBinding], container_ip: str) -> list:
    """Per holder socket (aligned with ``resolved``): the [ip, port] netd relays it to (IPv6
    host addresses), else None (the holder only keeps the port allocated)."""
    return [[container_ip, pb.container_port] if is_v6(pb.host_ip) else None
            for pb in resolved]
