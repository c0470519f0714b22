"""Docker's predefined ``host`` and ``none`` networks as listable, inspectable objects.

They are not stored: their records are made on the fly, with ids derived from the engine root
(stable for one engine, different between engines, like Docker's per-daemon ids) and the
engine root's creation time. Their ``Containers`` are the running containers whose network
mode is ``host`` / ``none`` (from the sandbox records). They cannot be created, removed,
connected to or disconnected from.
"""
from __future__ import annotations

import os

from .store import loads, sha256_hex

DRIVERS = {"host": "host", "none": "null"}


def record(layout, name: str) -> dict:
    nid = sha256_hex(f"pycompose-predefined:{name}:{layout.root}".encode())
    return {"id": nid, "name": name, "driver": DRIVERS[name], "internal": False,
            "attachable": False, "enable_ipv6": False, "ipam_driver": "default", "labels": {},
            "options": {}, "created": _created(layout), "bridge": "", "requested_pools": [],
            "subnet": "", "gateway": "", "ip_range": "", "aux": {}, "predefined": True}


def records(layout) -> list[dict]:
    return [record(layout, name) for name in DRIVERS]


def find(layout, name_or_id: str) -> dict | None:
    """The predefined network named (or with the id / unique id prefix) ``name_or_id``."""
    for rec in records(layout):
        if name_or_id in (rec["name"], rec["id"]):
            return rec
    if len(name_or_id) >= 4:
        for rec in records(layout):
            if rec["id"].startswith(name_or_id):
                return rec
    return None


def containers(layout, name: str) -> dict:
    """{cid: docker's Containers entry} of running containers in network mode ``name``."""
    folder = os.path.dirname(os.fspath(layout.sandbox_file("x")))
    out = {}
    for entry in sorted(os.listdir(folder)) if os.path.exists(folder) else []:
        if entry.startswith(".") or not entry.endswith(".json"):
            continue                          # a record being written (temp file)
        try:
            with open(os.path.join(folder, entry), "rb") as f:
                state = loads(f.read())
        except (OSError, ValueError):
            continue
        if state.get("mode") == name and state.get("cid"):
            out[state["cid"]] = {"Name": state.get("name", ""), "EndpointID": "",
                                 "MacAddress": "", "IPv4Address": "", "IPv6Address": ""}
    return out


def _created(layout) -> str:
    try:
        when = os.stat(layout.root).st_ctime
    except OSError:
        when = 0.0
    return utc_stamp(when)


def utc_stamp(when: float) -> str:
    """datetime.fromtimestamp(when, timezone.utc).isoformat(timespec="microseconds") with "Z"
    for "+00:00" (same rounding: half-even microseconds), without importing datetime."""
    import time
    secs = float(int(when))             # math.modf(when), exactly (x - trunc(x) is exact)
    frac = when - secs
    micros = round(frac * 1e6)
    if micros >= 1000000:
        secs, micros = secs + 1, micros - 1000000
    elif micros < 0:
        secs, micros = secs - 1, micros + 1000000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(secs))) + f".{micros:06d}Z"
