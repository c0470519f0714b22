"""Linux bridges of networks, and veth endpoints between a bridge and a container netns."""
from __future__ import annotations

import ipaddress

from ..errors import NetworkError
from . import firewall, rtnl, sysnet
from .netns import run_in_netns

BRIDGE_PREFIX = firewall.BRIDGE_PREFIX


def bridge_name(net_id: str) -> str:
    return f"{BRIDGE_PREFIX}{net_id[:10]}"                   # 15 chars: the kernel's IFNAMSIZ-1


def veth_name(cid: str, net_id: str) -> str:
    import hashlib                      # lazily: OpenSSL's load is ~10 ms of the shim's teardown
    return "pcv" + hashlib.sha256(f"{cid}/{net_id}".encode()).hexdigest()[:11]


def ensure_bridge(rec: dict, fresh: bool = False) -> None:
    """Create the bridge (+ address, iptables rules) of a network unless it exists already.

    After a reboot the record survives but the device does not: this brings it back."""
    bridge = rec["bridge"]
    if sysnet.link_exists(bridge):
        return
    # stale rules of a previous boot are found in one iptables-save and deleted together
    # with the new rules' insertion (one iptables-restore)
    saved = None if fresh else sysnet.save_rules()
    firewall.ensure_base(saved)
    prefix = ipaddress.ip_network(rec["subnet"]).prefixlen
    try:
        _netlink(rtnl.create_bridge, bridge, rec["gateway"], prefix)
        if not rec["internal"]:
            firewall.enable_forwarding(bridge)
        firewall.add_network_rules(rec["id"], bridge, rec["subnet"], rec["internal"], saved)
    except NetworkError:
        remove_bridge(rec)
        raise


def remove_bridge(rec: dict) -> None:
    firewall.remove_network_rules(rec["id"], rec)
    sysnet.delete_link(rec["bridge"])


def add_veth(rec: dict, cid: str, netns_path: str, ifname: str, ip: str, mac: str,
             default_route: bool) -> str:
    """A veth pair: host end on the network's bridge, ``ifname`` inside the netns. -> host end."""
    veth = veth_name(cid, rec["id"])
    prefix = ipaddress.ip_network(rec["subnet"]).prefixlen
    sysnet.delete_link(veth)                                  # leftover of a crash
    try:
        _netlink(rtnl.create_veth, veth, ifname, mac, netns_path, rec["bridge"])
        _netlink(run_in_netns, netns_path, rtnl.configure_inside, ifname, ip, prefix,
                 rec["gateway"] if default_route else None)
    except NetworkError:
        sysnet.delete_link(veth)
        raise
    return veth


def _netlink(fn, *args) -> None:
    try:
        fn(*args)
    except OSError as e:
        raise NetworkError(e.strerror or str(e)) from e


def mac_for(ip: str) -> str:
    """Docker's classic scheme: 02:42 followed by the four bytes of the IPv4 address."""
    return "02:42:" + ":".join(f"{b:02x}" for b in ipaddress.IPv4Address(ip).packed)
