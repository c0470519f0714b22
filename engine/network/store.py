"""On-disk records of networks (see engine.layout: networks/<id>/).

    network.json     the network: id, name, driver, internal, subnet, gateway, bridge, labels…
    endpoints.json   live endpoints {"network", "internal", "endpoints": {cid: {...}}}; written
                     atomically (renamed), read by the embedded DNS on every query (mtime cache)
    attached.json    {cid: EndpointSpec as dict}: containers connected with ``connect`` that
                     join the network at their next start
"""
from __future__ import annotations

import os

from ..errors import Conflict, NotFound
from ..layout import dumps as _dumps
# json.loads / layout.read_json / layout.write_json (engine.layout is light: no pathlib, json
# or tempfile at import; the shim's teardown reads endpoint tables through this module)
from ..layout import loads, read_json, write_json  # noqa: F401

TYPE_CHECKING = False           # (typing costs ~9 ms to import)
if TYPE_CHECKING:
    from ..layout import Layout

# ``layout`` below: an engine.layout.Layout, an engine.layout.Paths (plain strings: the CLI's
# network commands never import pathlib) or a release.RunPaths. Paths are joined with
# os.path.join, which takes all three.
_join = os.path.join

# engine.types is imported inside the functions that build its objects: the shim's teardown
# path (engine/network/release.py) uses this module and must stay light.


def new_id() -> str:
    return os.urandom(32).hex()


def now() -> str:
    """The current UTC time in RFC 3339 with microseconds ("2024-05-01T10:00:00.123456Z"),
    what datetime.now(timezone.utc).isoformat(timespec="microseconds") gives, without
    importing datetime."""
    import time
    secs, nanos = divmod(time.time_ns(), 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{nanos // 1000:06d}Z"


def all_records(layout: Layout) -> list[dict]:
    recs = []
    try:
        names = os.listdir(layout.networks)
    except FileNotFoundError:
        return []
    for nid in names:
        rec = read_json(_join(layout.network_dir(nid), "network.json"))
        if rec:
            recs.append(rec)
    return sorted(recs, key=lambda r: r["created"])


def find(layout: Layout, name_or_id: str) -> dict:
    recs = all_records(layout)
    for rec in recs:
        if rec["name"] == name_or_id or rec["id"] == name_or_id:
            return rec
    matches = [r for r in recs if name_or_id and r["id"].startswith(name_or_id)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise Conflict(f"network {name_or_id} is ambiguous ({len(matches)} matches)")
    raise NotFound(f"network {name_or_id} not found")


def save(layout: Layout, rec: dict) -> None:
    write_json(_join(layout.network_dir(rec["id"]), "network.json"), rec)


def lock(layout: Layout, net_id: str):
    from ..locks import flock
    return flock(layout.lock_file(f"network-{net_id}"), what=f"network {net_id[:12]}")


def endpoints(layout: Layout, net_id: str) -> dict:
    doc = read_json(_join(layout.network_dir(net_id), "endpoints.json"), None)
    return (doc or {}).get("endpoints", {})


def write_endpoints(layout: Layout, rec: dict, eps: dict) -> None:
    write_runtime_json(_join(layout.network_dir(rec["id"]), "endpoints.json"),
                       {"network": rec["name"], "internal": rec["internal"], "endpoints": eps})


def write_runtime_json(path, obj) -> None:
    """Atomic for readers (temp + rename) but not fsynced: live state that a reboot voids anyway
    (stale endpoints are recognised by their vanished netns), so durability buys nothing."""
    folder, name = os.path.split(os.fspath(path))
    tmp = _join(folder, f".{name}.{os.getpid()}.tmp")
    os.makedirs(folder or ".", exist_ok=True)
    with open(tmp, "w") as f:
        f.write(_dumps(obj, indent=1, sort_keys=True))
    os.replace(tmp, path)


def attached(layout: Layout, net_id: str) -> dict:
    return read_json(_join(layout.network_dir(net_id), "attached.json"), {}) or {}


def write_attached(layout: Layout, net_id: str, data: dict) -> None:
    write_json(_join(layout.network_dir(net_id), "attached.json"), data)


def endpoint_spec_from(d: dict) -> EndpointSpec:
    from ..types import EndpointSpec
    return EndpointSpec(aliases=tuple(d.get("aliases", ())), ipv4_address=d.get("ipv4_address", ""),
                        ipv6_address=d.get("ipv6_address", ""), mac_address=d.get("mac_address", ""),
                        priority=d.get("priority", 0), gw_priority=d.get("gw_priority", 0),
                        driver_opts=dict(d.get("driver_opts", {})))


def endpoint_spec_dict(spec: EndpointSpec) -> dict:
    """dataclasses.asdict(spec) with the aliases as a list (records.fields: no dataclasses
    import, ~15 ms with its inspect)."""
    from ..records import fields
    d = {f.name: _plain(getattr(spec, f.name)) for f in fields(spec)}
    d["aliases"] = list(spec.aliases)
    return d


def _plain(value):
    """What asdict makes of a field value: containers copied (recursively), the rest as is."""
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return type(value)((_plain(k), _plain(v)) for k, v in value.items())
    return value


def sha256_hex(data: bytes) -> str:
    """sha256 hex digest through the _sha256 builtin (hashlib loads OpenSSL: ~7 ms)."""
    try:
        from _sha256 import sha256
    except ImportError:                 # an interpreter built without it
        from hashlib import sha256
    return sha256(data).hexdigest()


def to_info(rec: dict, eps: dict) -> NetworkInfo:
    from ..types import IPAMPool, NetworkInfo, NetworkSpec
    pool = IPAMPool(subnet=rec["subnet"], ip_range=rec.get("ip_range", ""),
                    gateway=rec.get("gateway", ""), aux_addresses=dict(rec.get("aux", {})))
    containers = containers_doc(eps)
    spec = NetworkSpec(name=rec["name"], driver=rec["driver"], internal=rec["internal"],
                       attachable=rec.get("attachable", False),
                       enable_ipv6=rec.get("enable_ipv6", False),
                       ipam_driver=rec.get("ipam_driver", "default"),
                       ipam=tuple(IPAMPool(**p) for p in rec.get("requested_pools", [])),
                       driver_opts=dict(rec.get("options", {})), labels=dict(rec.get("labels", {})))
    pools = (pool,) if rec.get("subnet") else ()
    if rec.get("subnet6"):
        pools += (IPAMPool(subnet=rec["subnet6"], gateway=rec.get("gateway6", "")),)
    return NetworkInfo(id=rec["id"], name=rec["name"], driver=rec["driver"],
                       internal=rec["internal"], subnets=pools, labels=dict(rec.get("labels", {})),
                       created=rec["created"], containers=containers, bridge=rec["bridge"], spec=spec)


def containers_doc(eps: dict) -> dict:
    """docker's ``Containers`` of a network from its endpoint table (NetworkInfo.containers)."""
    return {cid: ep if "ip" not in ep else {
        "Name": ep.get("name", ""), "IPv4Address": f"{ep['ip']}/{ep['prefixlen']}",
        "MacAddress": ep.get("mac", ""), "EndpointID": ep.get("endpoint_id", ""),
        "IPv6Address": f"{ep['ip6']}/{ep['prefixlen6']}" if ep.get("ip6") else ""}
        for cid, ep in eps.items()}


def inspect_doc(rec: dict, eps: dict) -> dict:
    """inspect_dict(to_info(rec, eps), rec) straight from the record (no engine.types)."""
    pools = []
    if rec.get("subnet"):
        pools.append((rec["subnet"], rec.get("ip_range", ""), rec.get("gateway", ""),
                      dict(rec.get("aux", {}))))
    if rec.get("subnet6"):
        pools.append((rec["subnet6"], "", rec.get("gateway6", ""), {}))
    return {
        "Name": rec["name"], "Id": rec["id"], "Created": rec["created"], "Scope": "local",
        "Driver": rec["driver"], "EnableIPv4": True, "EnableIPv6": rec.get("enable_ipv6", False),
        "IPAM": {"Driver": rec.get("ipam_driver", "default"), "Options": None,
                 "Config": [{k: v for k, v in (("Subnet", subnet), ("IPRange", ip_range),
                                                ("Gateway", gateway),
                                                ("AuxiliaryAddresses", aux or None)) if v}
                            for subnet, ip_range, gateway, aux in pools]},
        "Internal": rec["internal"], "Attachable": rec.get("attachable", False),
        "Ingress": False, "ConfigFrom": {"Network": ""}, "ConfigOnly": False,
        "Containers": containers_doc(eps), "Options": dict(rec.get("options", {})),
        "Labels": dict(rec.get("labels", {})),
        "BridgeName": rec["bridge"],
    }


def inspect_dict(info: NetworkInfo, rec: dict) -> dict:
    """The docker-like JSON of ``network inspect``."""
    return {
        "Name": info.name, "Id": info.id, "Created": info.created, "Scope": "local",
        "Driver": info.driver, "EnableIPv4": True, "EnableIPv6": rec.get("enable_ipv6", False),
        "IPAM": {"Driver": rec.get("ipam_driver", "default"), "Options": None,
                 "Config": [{k: v for k, v in (("Subnet", p.subnet), ("IPRange", p.ip_range),
                                                ("Gateway", p.gateway),
                                                ("AuxiliaryAddresses", p.aux_addresses or None))
                             if v} for p in info.subnets]},
        "Internal": info.internal, "Attachable": rec.get("attachable", False),
        "Ingress": False, "ConfigFrom": {"Network": ""}, "ConfigOnly": False,
        "Containers": info.containers, "Options": dict(rec.get("options", {})),
        "Labels": info.labels,
        "BridgeName": info.bridge,
    }


def dumps(obj) -> str:
    return _dumps(obj, indent=4)
