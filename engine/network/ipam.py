"""IPAM (pure functions): pick a free subnet from the default pools, validate explicit pools,
allocate addresses inside a pool.

Default pools follow Docker's: 172.17.0.0/16 … 172.31.0.0/16, then 192.168.0.0/16 cut in /20s.
A subnet is free when it overlaps neither a route of the host nor another network of ours.
"""
from __future__ import annotations

import os

from ..errors import InvalidArgument, NetworkError

# ipaddress (~3 ms) is imported by the functions that use it: the common `network create`
# goes through the integer functions below instead.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import ipaddress
    import random

    from ..types import IPAMPool


def default_candidates():
    import ipaddress
    for second in range(17, 32):
        yield ipaddress.ip_network(f"172.{second}.0.0/16")
    for third in range(0, 256, 16):
        yield ipaddress.ip_network(f"192.168.{third}.0/20")
    for second in range(0, 256):
        yield ipaddress.ip_network(f"10.{second}.0.0/16")


def _route_entries() -> list:
    """(device, destination, netmask) of the host's main-table IPv4 routes, as integers in
    host order, default route excluded; read from /proc/net/route (what ``ip -4 route show``
    prints, without a subprocess)."""
    try:
        with open("/proc/net/route") as f:
            lines = f.read().splitlines()[1:]
    except OSError as e:
        raise NetworkError(f"cannot read the host's routes: {e.strerror}") from e
    entries = []
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        try:
            dest, mask = (int.from_bytes(int(v, 16).to_bytes(4, "little"), "big")
                          for v in (fields[1], fields[7]))
        except (ValueError, OverflowError):
            continue
        if mask:
            entries.append((fields[0], dest, mask))
    return entries


def host_route_table() -> list:
    """IPv4 routes of the host's main table as (device, ip_network), default route excluded."""
    import ipaddress
    routes = []
    for device, dest, mask in _route_entries():
        prefix = _prefix_of_mask(mask)
        if prefix is not None:
            routes.append((device, ipaddress.IPv4Network((dest & _mask(prefix), prefix))))
    return routes


def host_routes() -> list:
    """IPv4 destinations routed on the host (main table), as ip_network objects."""
    return [net for _dev, net in host_route_table()]


def pick_subnet(taken: list) -> ipaddress.IPv4Network:
    """The first default-pool subnet that overlaps nothing in ``taken`` (networks)."""
    for cand in default_candidates():
        if not any(cand.overlaps(t) for t in taken):
            return cand
    raise NetworkError("all predefined address pools have been fully subnetted")


# ----------------------------------------------------------------------------- integers
# The common `network create` (no explicit pool) with plain integers: (network, prefix
# length) pairs, the same candidates, routes and overlap rule as above, without ipaddress.

_ALL = 0xFFFFFFFF


def _mask(prefix: int) -> int:
    return _ALL ^ (_ALL >> prefix)


def default_candidates_int():
    """default_candidates() as (network, prefix length)."""
    for second in range(17, 32):
        yield (172 << 24) | (second << 16), 16
    for third in range(0, 256, 16):
        yield (192 << 24) | (168 << 16) | (third << 8), 20
    for second in range(0, 256):
        yield (10 << 24) | (second << 16), 16


def _prefix_of_mask(mask: int) -> "int | None":
    """Prefix length of a netmask (or, like ipaddress, of a hostmask); None if neither."""
    for value in (mask, mask ^ _ALL):
        ones = bin(value).count("1")
        if _mask(ones) == value:
            return ones
    return None


def host_route_ints() -> list:
    """host_routes() as (network, prefix length) integers (no ipaddress import)."""
    routes = []
    for _device, dest, mask in _route_entries():
        prefix = _prefix_of_mask(mask)
        if prefix is not None:
            routes.append((dest & _mask(prefix), prefix))
    return routes


def cidr_int(text: str) -> tuple:
    """A stored (canonical) IPv4 subnet "a.b.c.d/n" -> (network, prefix length)."""
    address, _, prefix = text.partition("/")
    a, b, c, d = (int(part) for part in address.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d, int(prefix)


def ip_text(value: int) -> str:
    return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"


def pick_free_subnet(ours: list) -> tuple:
    """pick_subnet(our subnets + host_routes()) for our networks' stored subnets ``ours``
    -> ("a.b.c.d/n", gateway "a.b.c.(d+1)"): the subnet's first host, as ipaddress's
    next(subnet.hosts()) for the default pools' /16 and /20."""
    taken = [cidr_int(text) for text in ours] + host_route_ints()
    for net, prefix in default_candidates_int():
        if not any((net ^ other) & _mask(min(prefix, other_prefix)) == 0
                   for other, other_prefix in taken):
            return f"{ip_text(net)}/{prefix}", ip_text(net + 1)
    raise NetworkError("all predefined address pools have been fully subnetted")


def parse_pool(pool: IPAMPool, network_name: str):
    """Validate an explicit pool -> (subnet, ip_range | None, gateway | None, aux dict)."""
    import ipaddress
    def bad(msg):
        return InvalidArgument(f"network {network_name}: {msg}")
    try:
        subnet = ipaddress.ip_network(pool.subnet.strip(), strict=False)
    except ValueError:
        raise bad(f"invalid subnet {pool.subnet!r}: expected CIDR like 172.28.0.0/16") from None
    if subnet.version != 4:
        raise bad(f"subnet {pool.subnet}: only IPv4 subnets are supported")
    if "/" not in pool.subnet or ipaddress.ip_interface(pool.subnet.strip()).ip != subnet.network_address:
        raise bad(f"invalid subnet {pool.subnet}: it has host bits set or no prefix length "
                  f"(did you mean {subnet}?)")
    if subnet.prefixlen > 30:
        raise bad(f"subnet {pool.subnet} is too small (at most /30)")
    ip_range = None
    if pool.ip_range:
        try:
            ip_range = ipaddress.ip_network(pool.ip_range, strict=False)
        except ValueError:
            raise bad(f"invalid ip_range {pool.ip_range!r}") from None
        if not ip_range.subnet_of(subnet):
            raise bad(f"ip_range {pool.ip_range} is not inside subnet {subnet}")
    gateway = _addr_in(pool.gateway, subnet, "gateway", bad) if pool.gateway else None
    aux = {k: str(_addr_in(v, subnet, f"aux address {k}", bad))
           for k, v in (pool.aux_addresses or {}).items()}
    return subnet, ip_range, gateway, aux


def _addr_in(text, subnet, what, bad):
    import ipaddress
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise bad(f"invalid {what} {text!r}") from None
    if addr not in subnet:
        raise bad(f"{what} {addr} is outside subnet {subnet}")
    return addr


def check_address(text: str, subnet, what: str, network_name: str):
    def bad(msg):
        return InvalidArgument(f"network {network_name}: {msg}")
    return _addr_in(text, subnet, what, bad)


def allocate(subnet, ip_range, used: set[str], rng: random.Random | None = None) -> str:
    """The lowest free host address of ip_range (or subnet) not in ``used`` (Docker is sequential)."""
    space = ip_range or subnet
    for addr in space:                  # the range's own first/last are usable (Docker's IPAM)
        if addr in (subnet.network_address, subnet.broadcast_address):
            continue
        if str(addr) not in used:
            return str(addr)
    raise NetworkError(f"no available IPv4 addresses on this network's address pools: {space}")


def allocate_text(subnet: str, ip_range: str, used: set[str]) -> str:
    """allocate(ip_network(subnet), ip_network(ip_range) if ip_range else None, used) for a
    network record's stored (canonical) IPv4 subnet / ip_range, with integers."""
    net, prefix = cidr_int(subnet)
    broadcast = net | (_ALL >> prefix)
    first, size = cidr_int(ip_range) if ip_range else (net, prefix)
    for value in range(first, first + (1 << (32 - size))):
        if value == net or value == broadcast:
            continue
        text = ip_text(value)
        if text not in used:
            return text
    raise NetworkError(f"no available IPv4 addresses on this network's address pools: "
                       f"{ip_range or subnet}")


# ----------------------------------------------------------------------------- IPv6

def parse_pool6(pool: IPAMPool, network_name: str):
    """Validate an explicit IPv6 pool -> (subnet, gateway | None)."""
    import ipaddress
    def bad(msg):
        return InvalidArgument(f"network {network_name}: {msg}")
    try:
        subnet = ipaddress.IPv6Network(pool.subnet.strip(), strict=False)
    except ValueError:
        raise bad(f"invalid IPv6 subnet {pool.subnet!r}: expected CIDR like fd00:1::/64") from None
    if "/" not in pool.subnet or ipaddress.ip_interface(pool.subnet.strip()).ip != subnet.network_address:
        raise bad(f"invalid subnet {pool.subnet}: it has host bits set or no prefix length "
                  f"(did you mean {subnet}?)")
    if subnet.prefixlen > 126:
        raise bad(f"subnet {pool.subnet} is too small (at most /126)")
    if pool.ip_range:
        raise bad("ip_range is not supported for IPv6 pools")
    gateway = _addr_in(pool.gateway, subnet, "gateway", bad) if pool.gateway else None
    return subnet, gateway


def pick_subnet6(taken: list) -> ipaddress.IPv6Network:
    """A random /64 of the unique local range fd00::/8 (40 random bits, RFC 4193) that
    overlaps nothing in ``taken`` - what Docker allocates for enable_ipv6 without a subnet."""
    import ipaddress
    for _ in range(64):
        bits = int.from_bytes(os.urandom(5), "big")          # what SystemRandom draws from
        cand = ipaddress.IPv6Network(((0xfd << 120) | (bits << 80), 64))
        if not any(cand.overlaps(t) for t in taken if t.version == 6):
            return cand
    raise NetworkError("no free IPv6 subnet found in fd00::/8")


def allocate6(subnet, used: set[str]) -> str:
    """The lowest free address of an IPv6 subnet (the subnet-router anycast ::0 excluded)."""
    import ipaddress
    first = int(subnet.network_address) + 1
    last = int(subnet.broadcast_address)
    for value in range(first, min(last, first + 65536) + 1):
        text = str(ipaddress.IPv6Address(value))
        if text not in used:
            return text
    raise NetworkError(f"no available IPv6 addresses on this network's address pools: {subnet}")
