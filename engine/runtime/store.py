"""Containers on disk: config.json (what was asked), state.json (what happened), and the
status re-derived from the kernel on every read.

    <root>/containers/<id>/config.json   id, name, image, spec, resolved argv/env/..., rootfs
    <root>/containers/<id>/state.json    status, pid + start time, shim pid + start time,
                                         exit code, times, OOMKilled, health, ports, cgroup
    <root>/containers/<id>/<id>-json.log logs (json-file)
    <root>/containers/<id>/name          symlink whose target is the name (cheap name lookup)
    <runroot>/containers/<id>/           plan.json, attach.sock, stop-requested (run state)

A container is running iff its recorded PID 1 is alive with the recorded start time and is
not a zombie. If neither PID 1 nor the shim is alive but state.json still says running
(shim killed, reboot), the container is reconciled to exited (255 if no exit was
recorded) and its runtime resources are released.
"""
from __future__ import annotations

import json
import os
import random
import re

from engine.errors import Conflict, InvalidArgument, NotFound
from engine.layout import read_json, write_json
from engine.types import ContainerInfo, ContainerSpec, ContainerState, HealthState, Mount, PortBinding

from .serial import from_dict
from .shimstate import StateFile, alive

NAME_LINK = "name"          # <container dir>/name -> "<container name>" (symlink), see name_of
NAME_RE = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
ADJECTIVES = ("brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "kind", "lucid",
              "merry", "nifty", "quirky", "sharp", "sleepy", "tender", "vivid", "witty", "zen")
NAMES = ("archimedes", "babbage", "curie", "darwin", "euler", "fermi", "galileo", "hopper",
         "kepler", "lovelace", "noether", "pascal", "ritchie", "shannon", "turing", "wozniak")


class ContainerStore:
    def __init__(self, engine):
        self.engine = engine
        self.layout = engine.layout

    # ---------------------------------------------------------------- files
    def config_path(self, cid: str):
        return self.layout.container_dir(cid) / "config.json"

    def state_file(self, cid: str) -> StateFile:
        return StateFile(str(self.layout.container_dir(cid) / "state.json"),
                         str(self.layout.lock_file(f"container-{cid}")))

    def op_lock(self, cid: str):
        return self.layout.lock_file(f"container-op-{cid}")

    def log_path(self, cid: str) -> str:
        return str(self.layout.container_dir(cid) / f"{cid}-json.log")

    def run_dir(self, cid: str):
        return self.layout.container_run_dir(cid)

    def load_config(self, cid: str) -> dict:
        try:
            cfg = read_json(self.config_path(cid))
        except ValueError:                 # torn by a crash (auto-remove configs: no fsync)
            cfg = None
        if cfg is None:
            raise NotFound(f"No such container: {cid}")
        return cfg

    def save_config(self, cfg: dict) -> None:
        """Write config.json and keep the ``name`` link (see name_of) in step with it: a link
        that would disagree is removed first and made again after the config, so a crash in
        between leaves no link (-> config read), never a wrong one."""
        link = self.layout.container_dir(cfg["id"]) / NAME_LINK
        if _read_link(link) not in (None, cfg["name"]):
            link.unlink(missing_ok=True)
        if cfg.get("auto_remove"):
            # gone when it stops anyway: atomic, but no fsync on the `run --rm` path
            from .shimstate import write_json_fast
            os.makedirs(self.layout.container_dir(cfg["id"]), exist_ok=True)
            write_json_fast(str(self.config_path(cfg["id"])), cfg)
        else:
            write_json(self.config_path(cfg["id"]), cfg)
        if _read_link(link) != cfg["name"]:
            tmp = link.with_name(f".{NAME_LINK}.{os.getpid()}")
            tmp.unlink(missing_ok=True)
            os.symlink(cfg["name"], tmp)
            os.replace(tmp, link)

    def name_of(self, cid: str) -> str:
        """The container's name: one readlink of ``<dir>/name`` (a symlink whose target is the
        name; no config.json read and parse), or config.json when the link is missing
        (containers from before the link, or a crash between config and link)."""
        name = _read_link(self.layout.container_dir(cid) / NAME_LINK)
        if name is None:
            name = _read_config(self.config_path(cid)).get("name", "")
        return name

    def ids(self) -> list[str]:
        try:
            return sorted(p.name for p in self.layout.containers.iterdir()
                          if (p / "config.json").exists())
        except FileNotFoundError:
            return []

    # ---------------------------------------------------------------- lookup
    def resolve(self, ref: str) -> str:
        """Full id, unique id prefix or name -> id."""
        ref = ref.lstrip("/") if ref.startswith("/") else ref
        ids = self.ids()
        if ref in ids:
            return ref
        for cid in ids:
            if self.name_of(cid) == ref:
                return cid
        matches = [cid for cid in ids if cid.startswith(ref)] if re.fullmatch(r"[0-9a-f]+", ref) else []
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise NotFound(f"Error response from daemon: multiple IDs found with provided "
                           f"prefix: {ref}")
        raise NotFound(f"No such container: {ref}")

    def name_owner(self, name: str) -> str | None:
        for cid in self.ids():
            if self.name_of(cid) == name:
                return cid
        return None

    def check_name(self, name: str, own_id: str = "") -> str:
        if not NAME_RE.match(name):
            raise InvalidArgument(f'Invalid container name ({name}), only '
                                  f'[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed')
        name = name.lstrip("/")
        owner = self.name_owner(name)
        if owner and owner != own_id:
            raise Conflict(f'Conflict. The container name "/{name}" is already in use by '
                           f'container "{owner}". You have to remove (or rename) that '
                           f'container to be able to reuse that name.')
        return name

    def generate_name(self) -> str:
        for _ in range(100):
            name = f"{random.choice(ADJECTIVES)}_{random.choice(NAMES)}"
            if self.name_owner(name) is None:
                return name
        return f"{random.choice(ADJECTIVES)}_{random.choice(NAMES)}{random.randint(1, 999)}"

    # ---------------------------------------------------------------- live state
    def live_state(self, cid: str, cfg: dict | None = None) -> dict:
        """state.json corrected by what the kernel says now (may reconcile a dead container)."""
        sf = self.state_file(cid)
        st = sf.read()
        status = st.get("status", "created")
        if status not in ("running", "restarting", "paused"):
            return st
        pid_ok = alive(st.get("pid", 0), st.get("pid_start", 0))
        shim_ok = alive(st.get("shim_pid", 0), st.get("shim_start", 0))
        if pid_ok:
            st["status"] = "paused" if self._frozen(st) else "running"
            st["running"] = True
            return st
        if shim_ok:
            # PID 1 just ended and its live shim is recording the exit (or restarting it):
            # the shim's word is final within milliseconds, so keep what it recorded
            st["running"] = status != "restarting"
            return st
        return self.reconcile_dead(cid, st)

    def _frozen(self, st: dict) -> bool:
        cg = st.get("cgroup") or {}
        try:
            if cg.get("version") == 2:
                path = os.path.join(cg["root"], cg["rel"], "cgroup.freeze")
                return open(path).read().strip() == "1"
            if cg.get("mounts", {}).get("freezer"):
                path = os.path.join(cg["mounts"]["freezer"], cg["rel"], "freezer.state")
                return open(path).read().strip() == "FROZEN"
        except OSError:
            return False
        return False

    def reconcile_dead(self, cid: str, st: dict) -> dict:
        """PID 1 and shim are gone but state says running: record exit, release resources."""
        from .cleanup import release_runtime
        code = st.get("exit_code", 0) if st.get("finished_at") else 255
        plan = {"cgroup": st.get("cgroup")}
        release_runtime(str(self.layout.root), str(self.layout.runroot), cid, plan)
        from .logfile import timestamp
        return self.state_file(cid).update(status="exited", running=False, pid=0,
                                           exit_code=code, restarting=False, released=True,
                                           finished_at=st.get("finished_at") or timestamp())

    # ---------------------------------------------------------------- info objects
    def info(self, cid: str) -> ContainerInfo:
        cfg = self.load_config(cid)
        st = self.live_state(cid, cfg)
        return build_info(cfg, st)


def _read_link(path) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def _read_config(path) -> dict:
    try:
        return read_json(path) or {}
    except ValueError:
        return {}


def build_info(cfg: dict, st: dict) -> ContainerInfo:
    spec = from_dict(ContainerSpec, cfg["spec"])
    health = None
    if st.get("health"):
        h = st["health"]
        health = HealthState(status=h.get("status", ""), failing_streak=h.get("failing_streak", 0),
                             log=tuple(h.get("log", ())))
    status = st.get("status", "created")
    state = ContainerState(
        status=status, running=status in ("running", "paused"), paused=status == "paused",
        restarting=status == "restarting", oom_killed=bool(st.get("oom_killed")),
        dead=status == "dead", pid=st.get("pid", 0) if status in ("running", "paused") else 0,
        exit_code=st.get("exit_code", 0), error=st.get("error", ""),
        started_at=st.get("started_at", ""), finished_at=st.get("finished_at", ""),
        health=health, restart_count=st.get("restart_count", 0))
    # like Docker: only a running (or paused) container has published ports; a stopped one
    # keeps them only in its spec (HostConfig.PortBindings), from which start publishes again
    ports = tuple(PortBinding(**p) for p in st.get("ports", ())) if state.running else ()
    mounts = tuple(Mount(**m) for m in st.get("mounts", ())) or spec.mounts
    return ContainerInfo(id=cfg["id"], name=cfg["name"], image=cfg["image"],
                         image_id=cfg["image_id"], created=cfg["created"], state=state,
                         spec=spec, labels=dict(spec.labels), ports=ports,
                         networks=dict(st.get("networks", {})), mounts=mounts)


def dump(obj) -> str:
    return json.dumps(obj, indent=1, sort_keys=True)
