"""cgroup drivers: one cgroup per container, v1 (one dir per controller) or v2 (unified).

    drv = driver()                          # detects v1 / v2 from /proc/self/mountinfo
    cg = drv.cgroup(container_id)           # pycompose/<id> under each hierarchy
    cg.create(); cg.apply(limits)           # limits: see engine.cgroups.limits.from_resources
    cg.procs_files()                        # write a pid into these to join
    cg.freeze() / cg.thaw() / cg.frozen()
    cg.stats() -> {"memory_usage", "memory_limit", "cpu_usage_ns", "pids"}
    cg.oom_kills() -> int                   # v1 memory.oom_control oom_kill, v2 memory.events
    cg.pids() / cg.kill_all() / cg.remove()

The parent name comes from PYCOMPOSE_CGROUP_PARENT (default "pycompose").
"""
from __future__ import annotations

import os

from .limits import from_resources  # noqa: F401

CGROUP_ROOT = "/sys/fs/cgroup"


def parent_name() -> str:
    return os.environ.get("PYCOMPOSE_CGROUP_PARENT", "pycompose").strip("/") or "pycompose"


def detect_version(mountinfo: str = "/proc/self/mountinfo", root: str = CGROUP_ROOT) -> int:
    """2 when ``root`` itself is a cgroup2 mount, else 1."""
    try:
        with open(mountinfo) as f:
            for line in f:
                fields = line.split()
                if len(fields) > 4 and fields[4] == root:
                    sep = fields.index("-")
                    return 2 if fields[sep + 1] == "cgroup2" else 1
    except OSError:
        pass
    return 1


def driver(root: str = CGROUP_ROOT, version: int | None = None):
    version = version or detect_version(root=root)
    if version == 2:
        from .v2 import V2Driver
        return V2Driver(root)
    from .v1 import V1Driver
    return V1Driver(root)
