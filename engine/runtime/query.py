"""Read-only, light queries on the container records (for the no-op ``up`` fast path).

    views = labelled_containers(root, "com.docker.compose.project=demo")   # or None: unsure
    first_use_after_boot(runroot) -> bool

These read the same files as engine.runtime.store (``<root>/containers/<id>/config.json`` and
``state.json``, paths as engine.layout lays them out) and derive a container's status the same
way ContainerStore.live_state does, but without engine.types or the json package (JSON through
engine.layout.loads, the C scanner): a ContainerView has the ContainerInfo fields a planner reads (id, name, image,
image_id, created, labels, networks, state.status/running/paused/restarting/pid/exit_code).

They never change anything. Whenever the full service would do more than read (a container
whose PID 1 and shim are both gone is reconciled to exited, with its runtime resources
released) or a record cannot be read as the service would read it, they answer None: the
caller then takes the full path (ContainerService), which does the work. ContainerService.list
(all=True) and these views are compared on real containers in
tests/engine/runtime/test_query_light.py.
"""
from __future__ import annotations

import os

from engine.layout import loads
from .shimstate import alive, boot_id

ACTIVE = ("running", "restarting", "paused")


class ContainerState:
    __slots__ = ("status", "running", "paused", "restarting", "pid", "exit_code")

    def __init__(self, status: str, pid: int, exit_code: int) -> None:
        self.status = status
        self.running = status in ("running", "paused")
        self.paused = status == "paused"
        self.restarting = status == "restarting"
        self.pid = pid if self.running else 0
        self.exit_code = exit_code


class ContainerView:
    """The ContainerInfo fields a planner reads, from config.json + the live state."""
    __slots__ = ("id", "name", "image", "image_id", "created", "labels", "networks", "state")

    def __init__(self, cfg: dict, st: dict) -> None:
        self.id = cfg["id"]
        self.name = cfg["name"]
        self.image = cfg["image"]
        self.image_id = cfg["image_id"]
        self.created = cfg["created"]
        self.labels = dict(cfg["spec"].get("labels", {}))
        self.networks = dict(st.get("networks", {}))
        self.state = ContainerState(st.get("status", "created"), st.get("pid", 0),
                                    st.get("exit_code", 0))


def containers_dir(root: str) -> str:
    """engine.layout.Layout.containers (as a string)."""
    return os.path.join(root, "containers")


def labelled_containers(root: str, label: str) -> "list[ContainerView] | None":
    """Every container (any state) whose labels hold ``label`` ("key=value" or "key"), newest
    first like ContainerService.list(all=True, filters={"label": [label]}); None if unsure."""
    key, sep, value = label.partition("=")
    base = containers_dir(root)
    try:
        names = sorted(os.listdir(base))
    except FileNotFoundError:
        return []
    out = []
    for cid in names:
        cfg = _read(os.path.join(base, cid, "config.json"))
        if cfg is None:
            continue                              # no config: not a container (store.ids)
        if cfg is False or not isinstance(cfg, dict):
            return None                           # torn or odd: the service decides
        labels = (cfg.get("spec") or {}).get("labels") or {}
        if key not in labels or (sep and labels[key] != value):
            continue
        st = live_state(os.path.join(base, cid), cfg)
        if st is None:
            return None
        out.append(ContainerView(cfg, st))
    out.sort(key=lambda v: v.created, reverse=True)
    return out


def live_state(container_dir: str, cfg: dict) -> "dict | None":
    """state.json corrected by the kernel like ContainerStore.live_state; None where the
    store would write (a dead container to reconcile) or could read it differently."""
    st = _read(os.path.join(container_dir, "state.json"), empty={})
    if st is None:
        st = {}
    if st is False or not isinstance(st, dict):
        return None
    status = st.get("status", "created")
    if status not in ACTIVE:
        return st
    if alive(st.get("pid", 0), st.get("pid_start", 0)):
        st["status"] = "paused" if _frozen(st) else "running"
        st["running"] = True
        return st
    if alive(st.get("shim_pid", 0), st.get("shim_start", 0)):
        st["running"] = status != "restarting"
        return st
    return None


def _frozen(st: dict) -> bool:
    """ContainerStore._frozen: the cgroup freezer says the container is paused."""
    cg = st.get("cgroup") or {}
    try:
        if cg.get("version") == 2:
            with open(os.path.join(cg["root"], cg["rel"], "cgroup.freeze")) as f:
                return f.read().strip() == "1"
        if cg.get("mounts", {}).get("freezer"):
            with open(os.path.join(cg["mounts"]["freezer"], cg["rel"], "freezer.state")) as f:
                return f.read().strip() == "FROZEN"
    except OSError:
        return False
    return False


def first_use_after_boot(runroot: str) -> bool:
    """engine.runtime.boot.first_use_after_boot without its imports (the caller falls back
    to the full service, which restarts what a reboot stopped)."""
    try:
        with open(os.path.join(runroot, "boot_id")) as f:
            return f.read().strip() != boot_id()
    except OSError:
        return True


def _read(path: str, empty=None):
    """A record: the parsed JSON, None when the file is missing, False when unreadable.
    ``empty``: the value of an empty file (StateFile.read treats it as {})."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return False
    if not data and empty is not None:
        return empty
    try:
        return loads(data)
    except (ValueError, UnicodeDecodeError):
        return False
