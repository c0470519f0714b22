"""Linux bridges of networks, and veth endpoints between a bridge and a container netns."""
from __future__ import annotations

from ..errors import NetworkError
from . import firewall, sysnet

BRIDGE_PREFIX = firewall.BRIDGE_PREFIX


def bridge_name(net_id: str) -> str:
    return f"{BRIDGE_PREFIX}{net_id[:10]}"                   # 15 chars: the kernel's IFNAMSIZ-1


def veth_name(cid: str, net_id: str) -> str:
    from .store import sha256_hex       # the _sha256 builtin: hashlib loads OpenSSL (~7-10 ms)
    return "pcv" + sha256_hex(f"{cid}/{net_id}".encode())[:11]


# The bridge's ifalias says whether the network's iptables rules exist: a network made by
# `network create` gets them only when its first endpoint joins (a network nobody uses costs
# no iptables process to create or remove). The mark lives and dies with the device, like the
# rules (a reboot voids both). Bridges without the mark have their rules.
NO_RULES, RULES = "pycompose:norules", "pycompose:rules"


def ensure_bridge(rec: dict, fresh: bool = False) -> None:
    """Create the bridge of a network unless it exists already. ``fresh`` (network create):
    the bridge alone, marked NO_RULES (rules come with the first endpoint, ensure_rules).
    Otherwise (after a reboot the record survives but the device does not) the bridge and its
    rules; stale rules of a previous boot are found in one iptables-save and deleted in the
    iptables-restore that adds the new ones."""
    bridge = rec["bridge"]
    if sysnet.link_exists(bridge):
        return
    prefix = prefix_len(rec["subnet"])
    from . import rtnl             # netlink (socket) only when a bridge is made
    try:
        _netlink(rtnl.create_bridge, bridge, rec["gateway"], prefix, *_v6(rec))
        if fresh:
            _set_mark(bridge, NO_RULES)
            return
        saved = sysnet.save_rules()
        firewall.ensure_base(saved)
        if not rec["internal"]:
            firewall.enable_forwarding(bridge)
        firewall.add_network_rules(rec["id"], bridge, rec["subnet"], rec["internal"], saved)
        if rec.get("subnet6"):
            firewall.add_network_rules6(rec["id"], bridge, rec["subnet6"], rec["internal"])
    except NetworkError:
        remove_bridge(rec)
        raise


def _v6(rec: dict) -> tuple:
    """(gateway6, prefixlen6) of an IPv6-enabled network, else ()."""
    if not rec.get("subnet6"):
        return ()
    return rec["gateway6"], prefix_len(rec["subnet6"])


def ensure_rules(rec: dict) -> None:
    """The network's iptables rules, unless its bridge has them (call with the network lock)."""
    bridge = rec["bridge"]
    if _mark(bridge) != NO_RULES:
        return
    _set_mark(bridge, RULES)              # first: a crash half-way leaves rules to remove
    if not rec["internal"]:
        firewall.enable_forwarding(bridge, ipv6=bool(rec.get("subnet6")))
    firewall.add_network_rules(rec["id"], bridge, rec["subnet"], rec["internal"])
    if rec.get("subnet6"):
        firewall.add_network_rules6(rec["id"], bridge, rec["subnet6"], rec["internal"])


def _mark(bridge: str) -> str:
    try:
        with open(f"/sys/class/net/{bridge}/ifalias") as f:
            return f.read().strip()
    except OSError:
        return ""


def _set_mark(bridge: str, mark: str) -> None:
    sysnet.write_proc(f"/sys/class/net/{bridge}/ifalias", mark)


def remove_bridge(rec: dict) -> None:
    if _mark(rec["bridge"]) != NO_RULES:
        firewall.remove_network_rules(rec["id"], rec)
        if rec.get("subnet6"):
            firewall.remove_network_rules6(rec["id"], rec)
    sysnet.delete_link(rec["bridge"])


def add_veth(rec: dict, cid: str, netns_path: str, ifname: str, ip: str, mac: str,
             default_route: bool, ip6: str = "") -> str:
    """A veth pair: host end on the network's bridge, ``ifname`` inside the netns. -> host end.
    ``ip6``: its IPv6 address too (IPv6-enabled network)."""
    veth = veth_name(cid, rec["id"])
    prefix = prefix_len(rec["subnet"])
    sysnet.delete_link(veth)                                  # leftover of a crash
    from . import rtnl
    from .netns import run_in_netns
    try:
        _netlink(rtnl.create_veth, veth, ifname, mac, netns_path, rec["bridge"])
        v6 = (ip6, _v6(rec)[1], rec["gateway6"] if default_route else None) if ip6 else ()
        _netlink(run_in_netns, netns_path, rtnl.configure_inside, ifname, ip, prefix,
                 rec["gateway"] if default_route else None, *v6)
    except NetworkError:
        sysnet.delete_link(veth)
        raise
    return veth


def _netlink(fn, *args) -> None:
    try:
        fn(*args)
    except OSError as e:
        raise NetworkError(e.strerror or str(e)) from e


def prefix_len(subnet: str) -> int:
    """The prefix length of a stored (validated, canonical) subnet "a.b.c.d/n" or "x::/n"
    (what ipaddress.ip_network(subnet).prefixlen gives, without importing ipaddress)."""
    return int(subnet.rpartition("/")[2])


def mac_for(ip: str) -> str:
    """Docker's classic scheme: 02:42 followed by the four bytes of the IPv4 address."""
    return "02:42:" + ":".join(f"{int(part):02x}" for part in ip.split("."))
