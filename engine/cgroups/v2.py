"""cgroup v2: one directory in the unified hierarchy (<root>/<parent>/<id>).

Limits map to memory.max / memory.swap.max (swap only: total − memory) / memory.low,
cpu.max "<quota|max> <period>", cpu.weight (from shares, like runc), cpuset.cpus/mems,
pids.max, io.weight (BFQ-style weight). The device allow-list is an eBPF program attached
to the cgroup (engine/cgroups/devices_bpf.py).
"""
from __future__ import annotations

import os
import time

from . import base

WANTED = ("cpuset", "cpu", "io", "memory", "pids")


def shares_to_weight(shares: int) -> int:
    """runc's conversion of cpu.shares [2..262144] to cpu.weight [1..10000]."""
    if shares == 0:
        return 0
    return 1 + ((shares - 2) * 9999) // 262142


class V2Driver:
    version = 2

    def __init__(self, root: str = "/sys/fs/cgroup"):
        self.root = root

    def cgroup(self, cid: str, parent: str | None = None) -> "V2Cgroup":
        from . import parent_name
        return V2Cgroup(self.root, f"{parent or parent_name()}/{cid}")


class V2Cgroup:
    version = 2

    def __init__(self, root: str, rel: str):
        self.root = root
        self.rel = rel
        self.dir = os.path.join(root, rel)

    def create(self) -> None:
        cur = self.root
        for part in self.rel.split("/"):
            self._enable_controllers(cur)
            cur = os.path.join(cur, part)
            os.makedirs(cur, exist_ok=True)

    def _enable_controllers(self, directory: str) -> None:
        available = base.read(os.path.join(directory, "cgroup.controllers")).split()
        enabled = base.read(os.path.join(directory, "cgroup.subtree_control")).split()
        missing = [c for c in WANTED if c in available and c not in enabled]
        if missing:
            base.write(os.path.join(directory, "cgroup.subtree_control"),
                       " ".join("+" + c for c in missing))

    def procs_files(self) -> list[str]:
        return [os.path.join(self.dir, "cgroup.procs")]

    def apply(self, limits: dict) -> None:
        w, d = base.write, self.dir
        if "memory" in limits:
            w(f"{d}/memory.max", limits["memory"])
            swap = limits.get("memory_swap")
            if swap is not None:
                w(f"{d}/memory.swap.max", "max" if swap == -1 else swap - limits["memory"])
        if "memory_reservation" in limits:
            w(f"{d}/memory.low", limits["memory_reservation"])
        if limits.get("oom_kill_disable"):
            pass                         # no v2 equivalent (Docker ignores it too)
        if "cpu_quota" in limits or "cpu_period" in limits:
            quota = limits.get("cpu_quota")
            period = limits.get("cpu_period", 100000)
            w(f"{d}/cpu.max", f"{quota if quota and quota > 0 else 'max'} {period}")
        if "cpu_shares" in limits:
            w(f"{d}/cpu.weight", shares_to_weight(limits["cpu_shares"]))
        if limits.get("cpuset_cpus"):
            w(f"{d}/cpuset.cpus", limits["cpuset_cpus"])
        if limits.get("cpuset_mems"):
            w(f"{d}/cpuset.mems", limits["cpuset_mems"])
        if "pids_limit" in limits:
            w(f"{d}/pids.max", limits["pids_limit"])
        if "blkio_weight" in limits:
            w(f"{d}/io.weight", f"default {limits['blkio_weight']}")
        rules = limits.get("devices")
        if rules and rules[0][0] != "a":
            from .devices_bpf import attach
            attach(d, rules)

    def freeze(self) -> None:
        self._set_frozen("1")

    def thaw(self) -> None:
        self._set_frozen("0")

    def _set_frozen(self, value: str) -> None:
        base.write(f"{self.dir}/cgroup.freeze", value)
        want = "frozen 1" if value == "1" else "frozen 0"
        for _ in range(500):
            events = base.read(f"{self.dir}/cgroup.events")
            if not events or want in events.splitlines():
                return
            time.sleep(0.002)

    def frozen(self) -> bool:
        return base.read(f"{self.dir}/cgroup.freeze") == "1"

    def oom_kills(self) -> int:
        return base.keyed(f"{self.dir}/memory.events").get("oom_kill", 0)

    def stats(self) -> dict:
        stat = base.keyed(f"{self.dir}/memory.stat")
        limit = base.read(f"{self.dir}/memory.max")
        return {
            "memory_usage": base.read_int(f"{self.dir}/memory.current"),
            "memory_limit": int(limit) if limit.isdigit() else 0,
            "memory_cache": stat.get("inactive_file", 0),
            "cpu_usage_ns": base.keyed(f"{self.dir}/cpu.stat").get("usage_usec", 0) * 1000,
            "pids": base.read_int(f"{self.dir}/pids.current"),
            **self._io(),
        }

    def _io(self) -> dict:
        out = {"blk_read": 0, "blk_write": 0}
        try:
            with open(f"{self.dir}/io.stat") as f:
                for line in f:
                    for item in line.split()[1:]:
                        key, _, value = item.partition("=")
                        if key in ("rbytes", "wbytes"):
                            out["blk_read" if key == "rbytes" else "blk_write"] += int(value)
        except (OSError, ValueError):
            pass
        return out

    def pids(self) -> list[int]:
        return base.pids_in(f"{self.dir}/cgroup.procs")

    def exists(self) -> bool:
        return os.path.isdir(self.dir)

    def remove(self) -> None:
        if self.frozen():
            self.thaw()
        base.rmdir_retry(self.dir, f"{self.dir}/cgroup.procs")

    def mount_view(self) -> dict:
        return {"version": 2}
