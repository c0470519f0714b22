"""Read-only, light network lookups (for the no-op ``up`` fast path).

    nets = NetworkRecords(root)                  # every networks/<id>/network.json, read once
    nets.labelled("com.docker.compose.project=demo")   -> [NetworkView] (list order)
    nets.find("demo_back")                       -> NetworkView, MISSING or None (not sure)

The same records engine.network.store reads (``all_records`` / ``find``), without
engine.types, the json package or the network service's imports. A NetworkView has the
NetworkInfo fields a planner reads (id, name, driver, labels). None means the caller must ask
the full NetworkService: a predefined name (host, none, the default bridge that a lookup may
create), an unreadable record, or a network with a stale endpoint (NetworkService drops stale
endpoints while listing: the full path does that housekeeping).
"""
from __future__ import annotations

import os

from ..layout import loads

MISSING = "missing"
SPECIAL_NAMES = ("host", "none", "bridge")    # predefined.DRIVERS + service.DEFAULT_NETWORK


class NetworkView:
    __slots__ = ("id", "name", "driver", "labels", "created")

    def __init__(self, rec: dict) -> None:
        self.id = rec["id"]
        self.name = rec["name"]
        self.driver = rec["driver"]
        self.labels = dict(rec.get("labels", {}))
        self.created = rec["created"]


def networks_dir(root: str) -> str:
    """engine.layout.Layout.networks (as a string); network_dir(id) is <this>/<id>."""
    return os.path.join(root, "networks")


class NetworkRecords:
    def __init__(self, root: str) -> None:
        self.root = root
        self.records = _all_records(root)       # None: some record could not be read

    def labelled(self, label: str) -> "list[NetworkView] | None":
        """Records whose labels hold ``label`` (NetworkService.list order); None if unsure."""
        if self.records is None:
            return None
        key, sep, value = label.partition("=")
        out = []
        for rec in self.records:
            labels = rec.get("labels") or {}
            if key in labels and (not sep or labels[key] == value):
                if not self._endpoints_live(rec):
                    return None
                out.append(NetworkView(rec))
        return out

    def find(self, name: str):
        """NetworkService.inspect(name) by exact name or id: a NetworkView, MISSING (the
        service raises NotFound) or None (not sure: id prefixes, predefined names)."""
        if self.records is None or name in SPECIAL_NAMES:
            return None
        for rec in self.records:
            if rec["name"] == name or rec["id"] == name:
                return NetworkView(rec) if self._endpoints_live(rec) else None
        if any(name and rec["id"].startswith(name) for rec in self.records):
            return None                           # store.find's id-prefix rules
        return MISSING

    def _endpoints_live(self, rec: dict) -> bool:
        """Every endpoint's network namespace still exists (else the service would prune)."""
        if rec.get("predefined"):
            return False
        path = os.path.join(networks_dir(self.root), rec["id"], "endpoints.json")
        try:
            with open(path, "rb") as f:
                doc = loads(f.read())
        except FileNotFoundError:
            return True
        except (OSError, ValueError, UnicodeDecodeError):
            return False
        eps = (doc or {}).get("endpoints", {}) if isinstance(doc, (dict, type(None))) else None
        if not isinstance(eps, dict):
            return False
        return all(isinstance(ep, dict) and _is_netns(ep.get("netns", "")) for ep in eps.values())


def _is_netns(path: str) -> bool:
    """engine.network.netns.is_netns (that module imports threading): a mounted netns file
    lives on nsfs, the device of our own /proc/self/ns/net."""
    try:
        return os.stat(path).st_dev == os.stat("/proc/self/ns/net").st_dev
    except OSError:
        return False


def _all_records(root: str) -> "list[dict] | None":
    """engine.network.store.all_records: the records, oldest first; None if one is torn."""
    base = networks_dir(root)
    try:
        names = os.listdir(base)
    except FileNotFoundError:
        return []
    recs = []
    for nid in names:
        try:
            with open(os.path.join(base, nid, "network.json"), "rb") as f:
                rec = loads(f.read())
        except FileNotFoundError:
            continue
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        if rec:
            if not isinstance(rec, dict) or not {"id", "name", "created", "driver"} <= rec.keys():
                return None
            recs.append(rec)
    return sorted(recs, key=lambda r: r["created"])
