"""iptables rules for bridge networks and published ports.

Our chains are shared by every pycompose engine on the host and never flushed:

    filter FORWARD      -> PYCOMPOSE-FORWARD (inserted first, so a FORWARD policy DROP set by
                           dockerd + br_netfilter does not cut our bridges off)
    PYCOMPOSE-FORWARD   -> PYCOMPOSE-ISOLATION first, then per-network ACCEPT/DROP rules
    nat POSTROUTING     -> PYCOMPOSE-POSTROUTING (MASQUERADE per non-internal network)
    nat PREROUTING, OUTPUT (dst-type LOCAL) -> PYCOMPOSE-DNAT (one DNAT rule per published port)

Every rule carries ``-m comment --comment pycompose:n:<network id>`` or
``pycompose:c:<container id>``; removal deletes exactly the rules with that tag.
"""
from __future__ import annotations

from _thread import get_ident

from ..locks import flock
from . import sysnet

FWD, ISO, POST, DNAT = ("PYCOMPOSE-FORWARD", "PYCOMPOSE-ISOLATION", "PYCOMPOSE-POSTROUTING",
                        "PYCOMPOSE-DNAT")
BRIDGE_PREFIX = "pcbr-"
HOST_LOCK = "/run/lock/pycompose-network.lock"     # host-wide: all engine roots share it
_ready = False


_held: dict = {}                 # thread ident -> depth of host_lock held by that thread


def host_lock(timeout: float = 60.0) -> "_HostLock":
    """The host-wide lock (re-entrant within a thread: flock would block on a second fd).
    (A small class, not contextlib/threading: ~3 ms of imports on every `network create`.)"""
    return _HostLock(timeout)


class _HostLock:
    __slots__ = ("timeout", "lock", "thread")

    def __init__(self, timeout: float) -> None:
        self.timeout, self.lock, self.thread = timeout, None, None

    def __enter__(self) -> None:
        me = self.thread = get_ident()
        depth = _held.get(me, 0)
        if not depth:
            lock = flock(HOST_LOCK, timeout=self.timeout,
                         what="host networking (iptables, subnets)")
            lock.__enter__()
            self.lock = lock
        _held[me] = depth + 1

    def __exit__(self, *exc) -> None:
        me = self.thread
        depth = _held.get(me, 1) - 1
        if depth:
            _held[me] = depth
        else:
            _held.pop(me, None)
        if self.lock is not None:
            lock, self.lock = self.lock, None
            lock.__exit__(*exc)


def network_tag(net_id: str) -> str:
    return f"pycompose:n:{net_id[:16]}"


def container_tag(cid: str) -> str:
    return f"pycompose:c:{cid[:16]}"


def ensure_base(saved: dict | None = None) -> None:
    """Create our chains and the jumps into them (idempotent). The FORWARD jump is made last,
    so finding it means everything is in place: one iptables call in the common case (none
    when ``saved``, the output of ``sysnet.save_rules()``, is given)."""
    global _ready
    if saved is not None and f"-A FORWARD -j {FWD}" in saved.get("filter", ()):
        _ready = True
    if _ready or _jumps_present():
        _ready = True
        return
    with host_lock():
        for table, chain in (("filter", FWD), ("filter", ISO), ("nat", POST), ("nat", DNAT)):
            sysnet.ensure_chain(table, chain)
        sysnet.ensure_jump("filter", FWD, ["-j", ISO])
        sysnet.ensure_jump("nat", "POSTROUTING", ["-j", POST])
        local = ["-m", "addrtype", "--dst-type", "LOCAL", "-j", DNAT]
        sysnet.ensure_jump("nat", "PREROUTING", local)
        sysnet.ensure_jump("nat", "OUTPUT", local)
        sysnet.ensure_jump("filter", "FORWARD", ["-j", FWD])
    _ready = True


def _jumps_present() -> bool:
    return sysnet.iptables(["-C", "FORWARD", "-j", FWD], check=False).returncode == 0


def _c(tag: str) -> str:
    return f"-m comment --comment {tag}"


def network_rules(net_id: str, bridge: str, subnet: str, internal: bool) -> dict:
    tag = _c(network_tag(net_id))
    filt = [f"-A {ISO} -i {bridge} -o {bridge} {tag} -j RETURN",
            f"-A {ISO} -i {bridge} -o {BRIDGE_PREFIX}+ {tag} -j DROP",
            f"-A {FWD} -i {bridge} -o {bridge} {tag} -j ACCEPT"]
    nat = []
    if internal:
        filt += [f"-A {FWD} -i {bridge} {tag} -j DROP",
                 f"-A {FWD} -o {bridge} {tag} -j DROP"]
    else:
        filt += [f"-A {FWD} -i {bridge} {tag} -j ACCEPT",
                 f"-A {FWD} -o {bridge} -m conntrack --ctstate RELATED,ESTABLISHED {tag} -j ACCEPT",
                 f"-A {FWD} -o {bridge} -m conntrack --ctstate DNAT {tag} -j ACCEPT"]
        nat += [f"-A {POST} -s {subnet} ! -o {bridge} {tag} -j MASQUERADE",
                f"-A {POST} -s 127.0.0.0/8 -o {bridge} {tag} -j MASQUERADE"]
    return {"filter": filt, "nat": nat}


# Checked at the top of an optimistic restore: if our chains and jumps are not all in place
# the whole (atomic) restore fails, and we make them and try again.
BASE_CHECKS = {"filter": [f"-C FORWARD -j {FWD}"], "nat": [f"-C POSTROUTING -j {POST}",
               f"-C OUTPUT -m addrtype --dst-type LOCAL -j {DNAT}"]}


def restore_with_base(rules: dict) -> None:
    """One ``iptables-restore`` adding ``rules`` after checking the base chains and jumps in
    the same transaction (no separate ``iptables -C`` process); only when they are missing,
    ensure_base and a second restore."""
    checked = {table: BASE_CHECKS.get(table, []) + lines for table, lines in rules.items()}
    if _ready or not sysnet.restore(checked, check=False):
        ensure_base()
        sysnet.restore(rules)


def add_network_rules(net_id: str, bridge: str, subnet: str, internal: bool,
                      saved: dict | None = None) -> None:
    """Add the network's rules; with ``saved`` (``sysnet.save_rules()``) any stale rule of the
    network found there is deleted in the same ``iptables-restore``."""
    rules = network_rules(net_id, bridge, subnet, internal)
    if saved is not None:
        tag = network_tag(net_id)
        rules = {"filter": sysnet.tagged_deletions(saved, "filter", [ISO, FWD], tag) + rules["filter"],
                 "nat": sysnet.tagged_deletions(saved, "nat", [POST], tag) + rules["nat"]}
        sysnet.restore(rules)
        return
    restore_with_base(rules)


def remove_network_rules(net_id: str, rec: dict | None = None) -> None:
    """Delete the network's rules: the exact ones we made (one call), else by tag."""
    if rec and _delete_exact(network_rules(net_id, rec["bridge"], rec["subnet"], rec["internal"])):
        return
    tag = network_tag(net_id)
    sysnet.delete_tagged("filter", [ISO, FWD], tag)
    sysnet.delete_tagged("nat", [POST], tag)


def port_rules(cid: str, forwards) -> dict:
    """forwards: [(proto, host_ip or "", host_port, container_ip, container_port)]."""
    tag = _c(container_tag(cid))
    lines = []
    for proto, host_ip, host_port, cip, cport in forwards:
        dest = f"-d {host_ip}/32 " if host_ip and host_ip != "0.0.0.0" else ""
        lines.append(f"-A {DNAT} {dest}-p {proto} -m {proto} --dport {host_port} {tag} "
                     f"-j DNAT --to-destination {cip}:{cport}")
    return {"nat": lines}


def add_port_rules(cid: str, forwards) -> None:
    restore_with_base(port_rules(cid, forwards))


def remove_container_rules(cid: str, forwards=None) -> None:
    if forwards and _delete_exact(port_rules(cid, forwards)):
        return
    sysnet.delete_tagged("nat", [DNAT], container_tag(cid))


def _delete_exact(rules: dict) -> bool:
    """One iptables-restore deleting exactly these rules; False if any was missing."""
    deletions = {table: ["-D" + line[2:] for line in lines] for table, lines in rules.items()}
    return sysnet.restore(deletions, check=False)


def enable_forwarding(bridge: str, ipv6: bool = False) -> None:
    sysnet.write_proc("/proc/sys/net/ipv4/ip_forward", "1")
    sysnet.write_proc(f"/proc/sys/net/ipv4/conf/{bridge}/route_localnet", "1")
    if ipv6:                                   # what dockerd does for an IPv6 network
        sysnet.write_proc("/proc/sys/net/ipv6/conf/all/forwarding", "1")


# ----------------------------------------------------------------------------- IPv6
# The same chains and per-network rules in ip6tables (isolation, forwarding, MASQUERADE of
# the network's ULA subnet like Docker's ip6tables default); published ports stay IPv4.

_ready6 = False
BASE_CHECKS6 = {"filter": [f"-C FORWARD -j {FWD}"], "nat": [f"-C POSTROUTING -j {POST}"]}


def ensure_base6() -> None:
    global _ready6
    if _ready6:
        return
    with host_lock():
        for table, chain in (("filter", FWD), ("filter", ISO), ("nat", POST)):
            sysnet.ensure_chain(table, chain, v6=True)
        sysnet.ensure_jump("filter", FWD, ["-j", ISO], v6=True)
        sysnet.ensure_jump("nat", "POSTROUTING", ["-j", POST], v6=True)
        sysnet.ensure_jump("filter", "FORWARD", ["-j", FWD], v6=True)
    _ready6 = True


def add_network_rules6(net_id: str, bridge: str, subnet6: str, internal: bool) -> None:
    rules = network_rules(net_id, bridge, subnet6, internal)
    rules["nat"] = [line for line in rules["nat"] if "127.0.0.0/8" not in line]
    checked = {table: BASE_CHECKS6.get(table, []) + lines for table, lines in rules.items()}
    if _ready6 or not sysnet.restore(checked, check=False, v6=True):
        ensure_base6()
        sysnet.restore(rules, v6=True)


def remove_network_rules6(net_id: str, rec: dict) -> None:
    rules = network_rules(net_id, rec["bridge"], rec["subnet6"], rec["internal"])
    rules["nat"] = [line for line in rules["nat"] if "127.0.0.0/8" not in line]
    deletions = {table: ["-D" + line[2:] for line in lines] for table, lines in rules.items()}
    if not sysnet.restore(deletions, check=False, v6=True):
        tag = network_tag(net_id)
        sysnet.delete_tagged("filter", [ISO, FWD], tag, v6=True)
        sysnet.delete_tagged("nat", [POST], tag, v6=True)
