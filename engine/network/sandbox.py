"""A container's network sandbox: its netns, one veth per network, IPs, routes, published ports,
DNS registration and the text of /etc/hosts and /etc/resolv.conf.

The sandbox record (<runroot>/sandboxes/<cid>.json) is written *before* each kernel object is
made, so teardown — idempotent, and run on any failure of setup — finds everything.
"""
from __future__ import annotations

import _socket as socket        # SOCK_* and gethostname: socket.py's enum setup costs ~7 ms
import os

from ..errors import NetworkError
from . import bridge, firewall, hostsfiles, ipam, netd_client, release, store, sysnet
from .netns import create_netns, delete_netns, is_netns, open_sockets_in_netns
from .store import read_json

# Imported where used, so `network connect` / `disconnect` (hot_plug / hot_unplug) stay light:
# engine.types (the objects setup returns), ports (publishing). Paths come from svc.paths
# (plain strings; no pathlib), except where a Layout is handed on (release.teardown).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..types import EndpointSpec, PortBinding, Sandbox

NETNS_SYSCTLS = {"net.ipv4.ping_group_range": "0 2147483647",      # Docker's values
                 "net.ipv4.ip_unprivileged_port_start": "0",
                 # IPv4-only networks: no IPv6 (not even link-local) on ethN, ::1 stays on lo
                 "net.ipv6.conf.default.disable_ipv6": "1"}
SPECIAL_MODES = ("none", "host", "bridge", "default", "")


def setup(svc, info) -> Sandbox:
    spec, cid = info.spec, info.id
    if os.path.exists(svc.paths.sandbox_file(cid)) or is_netns(str(svc.paths.netns_path(cid))):
        teardown(svc, cid)                 # a previous run was not torn down: start clean
    mode = spec.network_mode or "bridge"
    hostname = spec.hostname or cid[:12]
    if mode == "host" or mode.startswith("container:"):
        _save(svc, {"cid": cid, "name": info.name.lstrip("/"), "mode": mode})
        if mode == "host":
            return _host_sandbox(spec)
        return _joined_sandbox(svc, mode.split(":", 1)[1])
    wanted = _wanted_networks(svc, spec, cid, mode)
    records = [(store.find(svc.paths, name) if name != "bridge" else svc.default_network(), ep)
               for name, ep in wanted]
    netns_path = str(svc.paths.netns_path(cid))
    state = {"cid": cid, "name": info.name.lstrip("/"), "mode": mode, "netns": netns_path,
             "hostname": hostname, "endpoints": {}, "ports": [], "pending_ports": False,
             "dns": list(spec.dns)}
    _save(svc, state)
    try:
        create_netns(netns_path, NETNS_SYSCTLS)
        gw_net = _gateway_network(records)
        for index, (rec, ep) in enumerate(records):
            _attach(svc, state, rec, ep, f"eth{index}", default_route=rec is gw_net)
        resolved, holds = _publish(svc, state, spec.ports, records, gw_net)
        _register(svc, state, holds)
        result = _sandbox(state, spec, records, resolved)
        state["sandbox"] = {"hosts": result.hosts, "resolv_conf": result.resolv_conf}
        _save(svc, state)
        return result
    except BaseException:
        teardown(svc, cid)
        raise


def _wanted_networks(svc, spec, cid, mode) -> list[tuple[str, EndpointSpec]]:
    from ..types import EndpointSpec
    wanted = dict(spec.networks)
    if mode not in SPECIAL_MODES and mode not in wanted:
        wanted = {mode: EndpointSpec(), **wanted}
    for name, ep in svc.connected_extra(cid).items():
        wanted.setdefault(name, ep)
    if mode == "none":
        return []
    if not wanted:
        return [("bridge", EndpointSpec())]
    items = [(name, ep if isinstance(ep, EndpointSpec) else EndpointSpec(**dict(ep or {})))
             for name, ep in wanted.items()]
    return sorted(items, key=lambda item: -item[1].priority)      # stable: keeps given order


def _gateway_network(records):
    candidates = [(rec, ep) for rec, ep in records if not rec["internal"]]
    if not candidates:
        return None
    return max(candidates, key=lambda item: item[1].gw_priority)[0]


def _attach(svc, state, rec, ep: EndpointSpec, ifname: str, default_route: bool) -> dict:
    cid = state["cid"]
    if rec.get("default") and ep.aliases:
        raise NetworkError("network-scoped aliases are only supported for user-defined networks")
    with store.lock(svc.paths, rec["id"]):
        if not sysnet.link_exists(rec["bridge"]):
            _bring_up(svc, rec)
        bridge.ensure_rules(rec)
        eps = _prune_stale(svc, rec)
        ip = _pick_ip(rec, ep, eps)
        ip6 = _pick_ip6(rec, ep, eps)
        mac = ep.mac_address or bridge.mac_for(ip)
        veth = bridge.veth_name(cid, rec["id"])
        state["endpoints"][rec["id"]] = {"network": rec["name"], "veth": veth, "ifname": ifname,
                                         "ip": ip, "mac": mac, "ip6": ip6}
        _save(svc, state)
        bridge.add_veth(rec, cid, state["netns"], ifname, ip, mac, default_route, ip6)
        prefix = int(rec["subnet"].split("/")[1])
        entry = {"name": state["name"], "hostname": state["hostname"], "ip": ip,
                 "prefixlen": prefix, "mac": mac, "veth": veth, "ifname": ifname,
                 "aliases": [] if rec.get("default") else list(ep.aliases),
                 "netns": state["netns"], "endpoint_id": store.new_id()}
        if ip6:
            entry.update(ip6=ip6, prefixlen6=int(rec["subnet6"].split("/")[1]))
        eps[cid] = entry
        store.write_endpoints(svc.paths, rec, eps)
    return entry


def _bring_up(svc, rec) -> None:
    """Recreate a network's bridge (after a reboot, or the default network after its last
    container left). Its subnet may have been taken meanwhile by another engine's bridge:
    an automatic subnet is then re-chosen; an explicit one is an error."""
    import ipaddress
    with firewall.host_lock():
        if sysnet.link_exists(rec["bridge"]):
            return
        subnet = ipaddress.ip_network(rec["subnet"])
        routes = ipam.host_routes()
        clash = [r for r in routes if r.overlaps(subnet)]
        if clash:
            if rec.get("requested_pools"):
                raise NetworkError(f"network {rec['name']}: its subnet {subnet} is now routed "
                                   f"elsewhere on the host ({clash[0]}); remove and recreate it")
            ours = [ipaddress.ip_network(r["subnet"]) for r in store.all_records(svc.paths)
                    if r["id"] != rec["id"]]
            new = ipam.pick_subnet(ours + routes)
            rec.update(subnet=str(new), gateway=str(next(new.hosts())), ip_range="", aux={})
            store.save(svc.paths, rec)
            store.write_endpoints(svc.paths, rec, {})      # any entry left is stale anyway
        bridge.ensure_bridge(rec)


def _prune_stale(svc, rec) -> dict:
    eps = store.endpoints(svc.paths, rec["id"])
    for cid in [c for c, ep in eps.items() if not is_netns(ep.get("netns", ""))]:
        sysnet.delete_link(eps.pop(cid).get("veth", ""))
    return eps


def _pick_ip(rec, ep: EndpointSpec, eps: dict) -> str:
    used = {e["ip"] for e in eps.values()} | {rec["gateway"]} | set(rec.get("aux", {}).values())
    if not ep.ipv4_address:               # the lowest free address, with integers
        return ipam.allocate_text(rec["subnet"], rec.get("ip_range", ""), used)
    if rec.get("default"):
        raise NetworkError("user specified IP address is supported on user defined networks only")
    import ipaddress
    subnet = ipaddress.ip_network(rec["subnet"])
    addr = str(ipam.check_address(ep.ipv4_address, subnet, "ipv4_address", rec["name"]))
    if addr in used or addr in (str(subnet.network_address), str(subnet.broadcast_address)):
        raise NetworkError(f"network {rec['name']}: address {addr} is already in use")
    return addr


def _pick_ip6(rec, ep: EndpointSpec, eps: dict) -> str:
    """The endpoint's IPv6 address on an IPv6 network ("" otherwise): ipv6_address or the
    lowest free one."""
    if not rec.get("subnet6"):
        if ep.ipv6_address and not rec.get("default"):
            raise NetworkError(f"network {rec['name']}: ipv6_address {ep.ipv6_address} given but "
                               f"the network has no IPv6 (enable_ipv6)")
        return ""
    import ipaddress
    subnet6 = ipaddress.ip_network(rec["subnet6"])
    used = {e["ip6"] for e in eps.values() if e.get("ip6")} | {rec["gateway6"]}
    if ep.ipv6_address:
        addr = str(ipam.check_address(ep.ipv6_address, subnet6, "ipv6_address", rec["name"]))
        if addr in used:
            raise NetworkError(f"network {rec['name']}: address {addr} is already in use")
        return addr
    return ipam.allocate6(subnet6, used)


def _publish(svc, state, bindings, records, gw_net=None):
    from . import ports
    wanted = ports.normalize(bindings)
    if not wanted or not records:
        return [], []
    sandbox_dir = os.path.dirname(svc.paths.sandbox_file("x"))
    holds, resolved = ports.bind_host_ports(
        wanted, lambda ip, port, proto: ports.holders(sandbox_dir, ip, port, proto))
    try:
        # forward to the address on the network with the default route (an internal network
        # would drop the traffic), else the first one
        target = state["endpoints"].get(gw_net["id"]) if gw_net else None
        first_ip = (target or next(iter(state["endpoints"].values())))["ip"]
        state["ports"] = [vars(pb) for pb in resolved]
        state["forwards"] = ports.forwards(resolved, first_ip)
        state["proxies"] = ports.proxies(resolved, first_ip)      # IPv6 host addresses
        state["pending_ports"] = True
        _save(svc, state)
        firewall.add_port_rules(state["cid"], state["forwards"])
    except BaseException:
        for s in holds:
            s.close()
        raise
    return resolved, holds


def _register(svc, state, holds) -> None:
    """Hand the DNS sockets (user-defined networks only) and port holders to netd."""
    netdirs = _dns_netdirs(svc, state)
    dns_socks = []
    try:
        if netdirs:
            dns_socks = open_sockets_in_netns(state["netns"], [
                (socket.SOCK_DGRAM, hostsfiles.EMBEDDED_DNS, 53),
                (socket.SOCK_STREAM, hostsfiles.EMBEDDED_DNS, 53)])
        if not dns_socks and not holds:
            return
        # netd_pending: being registered right now (by this call), so a netd start made by
        # a parallel setup does not re-register it (and wait for the new netd) in vain;
        # setup's final save clears it
        state["netd"] = state["netd_pending"] = True
        _save(svc, state)
        msg = {"op": "add", "cid": state["cid"], "netdirs": netdirs,
               "upstreams": hostsfiles.upstream_servers(state.get("dns", ())),
               "dns_fds": len(dns_socks), "proxies": state.get("proxies", [])}
        netd_client.request(svc.paths.netd_socket, msg,
                            [s.fileno() for s in dns_socks + holds],
                            on_start=lambda: reregister_all(svc, skip=state["cid"]))
        state.pop("netd_pending", None)
    finally:
        for s in dns_socks + holds:
            s.close()


def _dns_netdirs(svc, state) -> list[str]:
    out = []
    for net_id in state["endpoints"]:
        rec = read_json(os.path.join(svc.paths.network_dir(net_id), "network.json")) or {}
        if rec and not rec.get("default"):
            out.append(str(svc.paths.network_dir(net_id)))
    return out


def _sandbox(state, spec, records, resolved) -> Sandbox:
    from ..types import Sandbox
    endpoints = {}
    for rec, ep in records:
        e = state["endpoints"][rec["id"]]
        endpoints[rec["name"]] = {"IPAddress": e["ip"], "IPPrefixLen": int(rec["subnet"].split("/")[1]),
                                  "Gateway": rec["gateway"], "MacAddress": e["mac"],
                                  "Aliases": list(ep.aliases), "NetworkID": rec["id"],
                                  "DNSNames": [state["name"], state["cid"][:12]] + list(ep.aliases),
                                  **_v6_fields(rec, e.get("ip6", ""))}
    first = next(iter(state["endpoints"].values()), None)
    embedded = any(not rec.get("default") for rec, _ in records)
    gateway = records[0][0]["gateway"] if records else ""
    hosts = hostsfiles.hosts_text(state["hostname"], spec.domainname, first["ip"] if first else "",
                                  spec.extra_hosts, gateway, (first or {}).get("ip6", ""))
    resolv = hostsfiles.resolv_text(embedded=embedded, dns=spec.dns, dns_search=spec.dns_search,
                                    dns_opt=spec.dns_opt)
    return Sandbox(netns_path=state["netns"], hosts=hosts, resolv_conf=resolv,
                   hostname=state["hostname"], endpoints=endpoints, ports=tuple(resolved))


def _v6_fields(rec: dict, ip6: str) -> dict:
    """Docker's IPv6 keys of an endpoint (empty values without IPv6)."""
    return {"GlobalIPv6Address": ip6,
            "GlobalIPv6PrefixLen": int(rec["subnet6"].split("/")[1]) if ip6 else 0,
            "IPv6Gateway": rec.get("gateway6", "") if ip6 else ""}


def _host_sandbox(spec) -> Sandbox:
    from ..types import Sandbox
    try:
        with open("/etc/hosts") as f:
            hosts = f.read()
    except OSError:
        hosts = hostsfiles.DEFAULT_HOSTS
    for ip, name in hostsfiles.parse_extra_hosts(spec.extra_hosts):
        hosts += f"{'127.0.0.1' if ip == 'host-gateway' else ip}\t{name}\n"
    resolv = hostsfiles.resolv_text(embedded=False, dns=spec.dns, dns_search=spec.dns_search,
                                    dns_opt=spec.dns_opt)
    return Sandbox(netns_path="", hosts=hosts, resolv_conf=resolv,
                   hostname=spec.hostname or socket.gethostname())


def _joined_sandbox(svc, ref: str) -> Sandbox:
    from ..types import Sandbox
    state = _find_state(svc, ref)
    if not state or not is_netns(state.get("netns", "")):
        raise NetworkError(f"cannot join network namespace of container {ref}: it is not running")
    base = state.get("sandbox", {})
    return Sandbox(netns_path=state["netns"], hosts=base.get("hosts", ""),
                   resolv_conf=base.get("resolv_conf", ""), hostname=state.get("hostname", ""))


def _find_state(svc, ref: str) -> dict | None:
    direct = read_json(svc.paths.sandbox_file(ref))
    if direct:
        return direct
    for st in _all_states(svc):
        if st.get("name") == ref.lstrip("/") or (len(ref) >= 4 and st.get("cid", "").startswith(ref)):
            return st
    return None


def _all_states(svc) -> list[dict]:
    """Every sandbox record of this engine (temp files of records being written - dot names -
    and unreadable ones skipped: other processes write records concurrently)."""
    folder = os.path.dirname(svc.paths.sandbox_file("x"))
    states = []
    for name in sorted(os.listdir(folder)) if os.path.exists(folder) else []:
        if name.startswith(".") or not name.endswith(".json"):
            continue
        try:
            state = read_json(os.path.join(folder, name))
        except (OSError, ValueError):
            continue
        if state:
            states.append(state)
    return states


def _save(svc, state) -> None:
    store.write_runtime_json(svc.paths.sandbox_file(state["cid"]), state)


# ---------------------------------------------------------------------- teardown & co

def teardown(svc, cid: str) -> None:
    """Release everything of a sandbox. Idempotent; safe after a crash half-way through setup."""
    release.teardown(svc.layout, cid)


def _detach(svc, net_id: str, cid: str) -> None:
    release.detach(svc.paths, net_id, cid)


def hot_plug(svc, rec, cid: str, ep: EndpointSpec) -> None:
    """connect() on a running container: a new ethN in its netns, DNS follows."""
    state = read_json(svc.paths.sandbox_file(cid))
    if not state or not is_netns(state.get("netns", "")) or state.get("mode") == "none":
        return                                   # not running: joins at its next start
    used = {e["ifname"] for e in state["endpoints"].values()}
    ifname = next(f"eth{i}" for i in range(64) if f"eth{i}" not in used)
    try:
        _attach(svc, state, rec, ep, ifname, default_route=False)
    except BaseException:
        state["endpoints"].pop(rec["id"], None)
        _save(svc, state)
        _detach(svc, rec["id"], cid)
        raise
    _update_dns(svc, state)


def hot_unplug(svc, rec, cid: str) -> None:
    state = read_json(svc.paths.sandbox_file(cid))
    _detach(svc, rec["id"], cid)
    if state and rec["id"] in state.get("endpoints", {}):
        state["endpoints"].pop(rec["id"])
        _save(svc, state)
        _update_dns(svc, state)


def _update_dns(svc, state) -> None:
    """The container's networks changed (hot connect/disconnect): tell netd. A netd that does
    not know the container (restarted meanwhile) gets a full registration instead."""
    reply = None
    if state.get("netd"):
        reply = netd_client.request(svc.paths.netd_socket, {
            "op": "update", "cid": state["cid"], "netdirs": _dns_netdirs(svc, state)}, start=False)
    if not reply or not reply.get("known"):
        state["netd"] = True
        _save(svc, state)
        _reregister(svc, state, start=True)


def reregister_all(svc, skip: str = "") -> None:
    """After netd (re)starts: hand it the DNS sockets and port holders of live sandboxes."""
    for state in _all_states(svc):
        cid = state.get("cid", "")
        if not cid or cid == skip or not state.get("netd") or state.get("netd_pending") \
                or not is_netns(state.get("netns", "")):
            continue
        try:
            _reregister(svc, state, start=False)
        except (OSError, NetworkError):
            continue


def _reregister(svc, state, start: bool) -> None:
    """(Re)hand a live sandbox to netd: fresh DNS sockets in its netns, its ports re-bound."""
    holds = []
    from ..types import PortBinding

    from . import ports
    try:
        wanted = [PortBinding(p["container_port"], p["protocol"], p["host_ip"], p["host_port"])
                  for p in state.get("ports", [])]
        holds, _ = ports.bind_host_ports(wanted, lambda *a: [])
    except NetworkError:
        holds = []                               # taken meanwhile: DNAT still forwards
    netdirs = _dns_netdirs(svc, state)
    socks = []
    try:
        if netdirs:
            socks = open_sockets_in_netns(state["netns"], [
                (socket.SOCK_DGRAM, hostsfiles.EMBEDDED_DNS, 53),
                (socket.SOCK_STREAM, hostsfiles.EMBEDDED_DNS, 53)])
        msg = {"op": "add", "cid": state["cid"], "netdirs": netdirs, "dns_fds": len(socks),
               "upstreams": hostsfiles.upstream_servers(state.get("dns", ())),
               "proxies": state.get("proxies", []) if holds else []}
        netd_client.request(svc.paths.netd_socket, msg, [s.fileno() for s in socks + holds],
                            start=start,
                            on_start=lambda: reregister_all(svc, skip=state["cid"]))
    finally:
        for s in socks + holds:
            s.close()


def reconcile(svc) -> list[str]:
    """Tear down sandboxes whose netns is gone; drop stale endpoints everywhere."""
    released = []
    for state in _all_states(svc):
        cid = state.get("cid", "")
        mode = state.get("mode", "")
        if cid and mode != "host" and not mode.startswith("container:") \
                and not is_netns(state.get("netns", "")):
            teardown(svc, cid)
            released.append(cid)
    for rec in store.all_records(svc.paths):
        with store.lock(svc.paths, rec["id"]):
            eps = store.endpoints(svc.paths, rec["id"])
            live = _prune_stale(svc, rec)
            if len(live) != len(eps):
                store.write_endpoints(svc.paths, rec, live)
    return released


def live_endpoints(svc, cid: str) -> dict:
    state = read_json(svc.paths.sandbox_file(cid)) or {}
    out = {}
    for net_id, e in state.get("endpoints", {}).items():
        rec = read_json(os.path.join(svc.paths.network_dir(net_id), "network.json"))
        entry = store.endpoints(svc.paths, net_id).get(cid) if rec else None
        if not entry:
            continue
        out[rec["name"]] = {"IPAddress": entry["ip"], "IPPrefixLen": entry["prefixlen"],
                            "Gateway": rec["gateway"], "MacAddress": entry["mac"],
                            "Aliases": list(entry.get("aliases", [])), "NetworkID": net_id,
                            "DNSNames": [entry["name"], cid[:12]] + list(entry.get("aliases", [])),
                            **_v6_fields(rec, entry.get("ip6", ""))}
    return out
