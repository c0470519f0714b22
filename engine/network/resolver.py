"""Name tables of the embedded DNS, read from the networks' endpoint files on disk.

Each network directory holds ``endpoints.json``::

    {"network": "<name>", "internal": false,
     "endpoints": {"<container id>": {"name": "...", "hostname": "...", "aliases": [...],
                                      "ip": "172.28.0.2", ...}}}

The files are re-read only when their mtime/size changes, so answers follow containers
coming and going at once while a query costs one stat() per network.
"""
from __future__ import annotations

import json
import os
from collections import defaultdict


class Resolver:
    def __init__(self) -> None:
        self._cache: dict[str, tuple] = {}        # path -> (stat key, table)
        self._rotation: dict[tuple, int] = defaultdict(int)

    def table(self, netdir: str) -> dict:
        path = os.path.join(netdir, "endpoints.json")
        try:
            st = os.stat(path)
        except OSError:
            self._cache.pop(path, None)
            return {}
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        hit = self._cache.get(path)
        if hit and hit[0] == key:
            return hit[1]
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError):
            return hit[1] if hit else {}
        table = _names_of(doc)
        self._cache[path] = (key, table)
        return table

    def known(self, netdirs: list[str], name: str) -> bool:
        """True if ``name`` is a name of these networks (with an IPv4 or IPv6 address)."""
        name = name.lower().rstrip(".")
        return any(name in self.table(d).get("names", {}) for d in netdirs)

    def lookup(self, netdirs: list[str], name: str, family: str = "names") -> list[str]:
        """IPv4 addresses (``family="names6"``: IPv6 ones) for ``name`` on these networks,
        rotated on each call (round robin)."""
        name = name.lower().rstrip(".")
        found: list[str] = []
        for netdir in netdirs:
            for ip in self.table(netdir).get(family, {}).get(name, ()):
                if ip not in found:
                    found.append(ip)
        if len(found) > 1:
            if len(self._rotation) > 4096:
                self._rotation.clear()
            key = (tuple(netdirs), name, family)
            shift = self._rotation[key] % len(found)
            self._rotation[key] += 1
            found = found[shift:] + found[:shift]
        return found

    def reverse(self, netdirs: list[str], ip: str) -> list[str]:
        for netdir in netdirs:
            table = self.table(netdir)
            names = table.get("ptr", {}).get(ip)
            if names:
                return names
        return []

    def is_internal_only(self, netdirs: list[str]) -> bool:
        return bool(netdirs) and all(self.table(n).get("internal") for n in netdirs)


def _names_of(doc: dict) -> dict:
    names: dict[str, list[str]] = defaultdict(list)
    names6: dict[str, list[str]] = defaultdict(list)
    ptr: dict[str, list[str]] = {}
    network = doc.get("network", "")
    for cid, ep in sorted(doc.get("endpoints", {}).items(), key=lambda kv: kv[1].get("ip", "")):
        ip, ip6 = ep.get("ip"), ep.get("ip6")
        if not ip:
            continue
        cname = ep.get("name", "")
        keys = [cname, cid[:12], ep.get("hostname", "")] + list(ep.get("aliases", ()))
        if cname and network:
            keys.append(f"{cname}.{network}")
        for key in keys:
            key = (key or "").lower().rstrip(".")
            if key and ip not in names[key]:
                names[key].append(ip)
            if key and ip6 and ip6 not in names6[key]:
                names6[key].append(ip6)
        if cname:
            ptr[ip] = [f"{cname}.{network}" if network else cname]
            if ip6:
                ptr[ip6] = ptr[ip]
    return {"names": dict(names), "names6": dict(names6), "ptr": ptr,
            "internal": bool(doc.get("internal"))}
