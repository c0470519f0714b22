"""Linux bridges of networks, and veth endpoints between a bridge and a container netns."""
from __future__ import annotations

import hashlib
import ipaddress

from ..errors import NetworkError
from . import firewall, sysnet

BRIDGE_PREFIX = firewall.BRIDGE_PREFIX


def bridge_name(net_id: str) -> str:
    return f"{BRIDGE_PREFIX}{net_id[:10]}"                   # 15 chars: the kernel's IFNAMSIZ-1


def veth_name(cid: str, net_id: str) -> str:
    return "pcv" + hashlib.sha256(f"{cid}/{net_id}".encode()).hexdigest()[:11]


def ensure_bridge(rec: dict, fresh: bool = False) -> None:
    """Create the bridge (+ address, iptables rules) of a network unless it exists already.

    After a reboot the record survives but the device does not: this brings it back."""
    bridge = rec["bridge"]
    if sysnet.link_exists(bridge):
        return
    firewall.ensure_base()
    if not fresh:
        firewall.remove_network_rules(rec["id"])             # stale ones from a previous boot
    prefix = ipaddress.ip_network(rec["subnet"]).prefixlen
    try:
        sysnet.ip_batch([f"link add name {bridge} type bridge",
                         f"addr add {rec['gateway']}/{prefix} dev {bridge}",
                         f"link set {bridge} up"])
        if not rec["internal"]:
            firewall.enable_forwarding(bridge)
        firewall.add_network_rules(rec["id"], bridge, rec["subnet"], rec["internal"])
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
        sysnet.ip_batch([f"link add name {veth} type veth peer name {ifname} netns {netns_path}",
                         f"link set {veth} master {rec['bridge']}",
                         f"link set {veth} up"])
        inside = [f"link set {ifname} address {mac}",
                  f"addr add {ip}/{prefix} dev {ifname}",
                  f"link set {ifname} up"]
        if default_route:
            inside.append(f"route add default via {rec['gateway']} dev {ifname}")
        sysnet.ip_batch_in(netns_path, inside)
    except NetworkError:
        sysnet.delete_link(veth)
        raise
    return veth


def mac_for(ip: str) -> str:
    """Docker's classic scheme: 02:42 followed by the four bytes of the IPv4 address."""
    return "02:42:" + ":".join(f"{b:02x}" for b in ipaddress.IPv4Address(ip).packed)
