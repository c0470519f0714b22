"""cgroup v1: one directory per controller hierarchy (<mount>/<parent>/<id>)."""
from __future__ import annotations

import os

from . import base
from .limits import format_rule

CONTROLLERS = ("memory", "cpu", "cpuacct", "cpuset", "pids", "devices", "freezer", "blkio")


def v1_mounts(mountinfo: str = "/proc/self/mountinfo") -> dict[str, str]:
    """controller -> mount point, from the cgroup (v1) mounts of this mount namespace."""
    out: dict[str, str] = {}
    with open(mountinfo) as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] != "cgroup":
                continue
            for opt in fields[sep + 3].split(","):
                if opt in CONTROLLERS or opt.startswith("name="):
                    out.setdefault(opt, fields[4])
    return out


class V1Driver:
    version = 1

    def __init__(self, root: str = "/sys/fs/cgroup", mounts: dict | None = None):
        self.root = root
        self.mounts = mounts if mounts is not None else v1_mounts()

    def cgroup(self, cid: str, parent: str | None = None) -> "V1Cgroup":
        from . import parent_name
        return V1Cgroup(self.mounts, f"{parent or parent_name()}/{cid}")


class V1Cgroup:
    version = 1

    def __init__(self, mounts: dict[str, str], rel: str):
        self.mounts = mounts
        self.rel = rel

    def path(self, controller: str) -> str:
        return os.path.join(self.mounts[controller], self.rel)

    def dirs(self) -> list[str]:
        seen = []
        for ctrl in CONTROLLERS:
            if ctrl in self.mounts and self.path(ctrl) not in seen:
                seen.append(self.path(ctrl))
        return seen

    def create(self) -> None:
        for d in self.dirs():
            os.makedirs(d, exist_ok=True)
        if "cpuset" in self.mounts:
            self._init_cpuset()

    def _init_cpuset(self) -> None:
        """A new v1 cpuset cgroup has empty cpus/mems: copy them down from the root."""
        top = self.mounts["cpuset"]
        cur = top
        for part in self.rel.split("/"):
            parent, cur = cur, os.path.join(cur, part)
            for name in ("cpuset.cpus", "cpuset.mems"):
                if not base.read(os.path.join(cur, name)):
                    base.write(os.path.join(cur, name), base.read(os.path.join(parent, name)))

    def procs_files(self) -> list[str]:
        return [os.path.join(d, "cgroup.procs") for d in self.dirs()]

    def apply(self, limits: dict) -> None:
        w = base.write
        if "memory" in self.mounts:
            mem = self.path("memory")
            if "memory" in limits:
                w(f"{mem}/memory.limit_in_bytes", limits["memory"])
                swap = limits.get("memory_swap")
                if swap is not None and os.path.exists(f"{mem}/memory.memsw.limit_in_bytes"):
                    w(f"{mem}/memory.memsw.limit_in_bytes", swap)
            if "memory_reservation" in limits:
                w(f"{mem}/memory.soft_limit_in_bytes", limits["memory_reservation"])
            if "memory_swappiness" in limits:
                w(f"{mem}/memory.swappiness", limits["memory_swappiness"])
            if limits.get("oom_kill_disable"):
                w(f"{mem}/memory.oom_control", 1)
        if "cpu" in self.mounts:
            cpu = self.path("cpu")
            if "cpu_period" in limits:
                w(f"{cpu}/cpu.cfs_period_us", limits["cpu_period"])
            if "cpu_quota" in limits:
                w(f"{cpu}/cpu.cfs_quota_us", limits["cpu_quota"])
            if "cpu_shares" in limits:
                w(f"{cpu}/cpu.shares", limits["cpu_shares"])
        if "cpuset" in self.mounts:
            if limits.get("cpuset_cpus"):
                w(f"{self.path('cpuset')}/cpuset.cpus", limits["cpuset_cpus"])
            if limits.get("cpuset_mems"):
                w(f"{self.path('cpuset')}/cpuset.mems", limits["cpuset_mems"])
        if "pids" in self.mounts and "pids_limit" in limits:
            w(f"{self.path('pids')}/pids.max", limits["pids_limit"])
        if "blkio" in self.mounts and "blkio_weight" in limits:
            weight = f"{self.path('blkio')}/blkio.weight"
            if not os.path.exists(weight):
                weight = f"{self.path('blkio')}/blkio.bfq.weight"
            w(weight, limits["blkio_weight"])
        if "devices" in self.mounts and "devices" in limits:
            self._devices(limits["devices"])

    def _devices(self, rules) -> None:
        dev = self.path("devices")
        if rules and rules[0][0] == "a":
            base.write(f"{dev}/devices.allow", "a")
            return
        base.write(f"{dev}/devices.deny", "a")
        for rule in rules:
            base.write(f"{dev}/devices.allow", format_rule(rule))

    def freeze(self) -> None:
        self._freezer("FROZEN")

    def thaw(self) -> None:
        self._freezer("THAWED")

    def _freezer(self, state: str) -> None:
        path = f"{self.path('freezer')}/freezer.state"
        base.write(path, state)
        import time
        for _ in range(500):
            if base.read(path) == state:
                return
            time.sleep(0.002)

    def frozen(self) -> bool:
        return "freezer" in self.mounts and \
            base.read(f"{self.path('freezer')}/freezer.state") == "FROZEN"

    def oom_kills(self) -> int:
        return base.keyed(f"{self.path('memory')}/memory.oom_control").get("oom_kill", 0)

    def stats(self) -> dict:
        mem = self.path("memory")
        stat = base.keyed(f"{mem}/memory.stat")
        return {
            "memory_usage": base.read_int(f"{mem}/memory.usage_in_bytes"),
            "memory_limit": base.read_int(f"{mem}/memory.limit_in_bytes"),
            "memory_cache": stat.get("total_inactive_file", stat.get("cache", 0)),
            "cpu_usage_ns": base.read_int(f"{self.path('cpuacct')}/cpuacct.usage")
            if "cpuacct" in self.mounts else 0,
            "pids": base.read_int(f"{self.path('pids')}/pids.current"),
            **self._blkio(),
        }

    def _blkio(self) -> dict:
        out = {"blk_read": 0, "blk_write": 0}
        if "blkio" not in self.mounts:
            return out
        try:
            with open(f"{self.path('blkio')}/blkio.throttle.io_service_bytes") as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 3 and parts[1] in ("Read", "Write"):
                        out["blk_" + parts[1].lower()] += int(parts[2])
        except (OSError, ValueError):
            pass
        return out

    def pids(self) -> list[int]:
        ctrl = "pids" if "pids" in self.mounts else "memory"
        return base.pids_in(os.path.join(self.path(ctrl), "cgroup.procs"))

    def exists(self) -> bool:
        return any(os.path.isdir(d) for d in self.dirs())

    def remove(self) -> None:
        if self.frozen():
            self.thaw()
        for d in self.dirs():
            base.rmdir_retry(d, os.path.join(d, "cgroup.procs"))

    def mount_view(self) -> dict:
        """What the container sees at /sys/fs/cgroup: each hierarchy → its own cgroup dir."""
        seen, ctrls = set(), []
        for ctrl, mnt in self.mounts.items():
            if mnt in seen:
                continue
            seen.add(mnt)
            host_dir = os.path.join(mnt, self.rel)
            if os.path.isdir(host_dir):
                ctrls.append([os.path.basename(mnt), host_dir])
        return {"version": 1, "controllers": ctrls}
