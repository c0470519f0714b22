"""An in-memory engine with the same API as ``engine.api.Engine`` (images, containers,
networks, volumes), for fast unit tests of the planner, the executor and the CLI.

    eng = FakeEngine()
    eng.images.add("busybox:latest")                    # make an image "present"
    eng.behave("db", health="healthy", health_after=0.2)  # per-service behaviour
    eng.behave("init", exit_code=0, exit_after=0.1)
    ... run compose code against eng ...
    eng.calls        # ["network.create demo_default", "container.create demo-web-1", ...]

State transitions are derived lazily from the clock (a container whose behaviour says
``exit_code=3, exit_after=0.1`` reads as exited 0.1 s after start), so no threads run.
"""
from __future__ import annotations

import fnmatch
import hashlib
import itertools
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Optional

from engine.errors import Conflict, NotFound
from engine.types import (ContainerInfo, ContainerState, HealthState, ImageConfig, ImageInfo,
                          NetworkInfo, NetworkSpec, VolumeInfo, VolumeSpec)

_counter = itertools.count(1)


def _hexid(seed: str) -> str:
    return hashlib.sha256(f"{seed}-{next(_counter)}".encode()).hexdigest()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass
class Behaviour:
    exit_code: Optional[int] = None       # None = runs until stopped
    exit_after: float = 0.0
    health: Optional[str] = None          # "healthy" | "unhealthy" (needs a healthcheck)
    health_after: float = 0.0
    logs: tuple[str, ...] = ()
    start_error: str = ""                 # start() raises RuntimeFailure with this text


@dataclass
class _Container:
    info: ContainerInfo
    status: str = "created"
    started: float = 0.0
    exit_code: int = 0
    behaviour: Behaviour = field(default_factory=Behaviour)
    restarts: int = 0
    started_at: str = ""


def _matches(labels: dict, filters: Optional[dict]) -> bool:
    for item in (filters or {}).get("label", []):
        k, sep, v = item.partition("=")
        if k not in labels or (sep and labels[k] != v):
            return False
    return True


class FakeImages:
    def __init__(self, eng: "FakeEngine") -> None:
        self.eng = eng
        self.store: dict[str, ImageInfo] = {}

    def add(self, ref: str, *, env=(), cmd=("sh",), healthcheck=None) -> ImageInfo:
        ref = _norm(ref)
        info = ImageInfo(id="sha256:" + _hexid(ref), repo_tags=(ref,), repo_digests=(),
                         created=_now(), size=1024, architecture="amd64", os="linux",
                         config=ImageConfig(env=tuple(env), cmd=tuple(cmd), healthcheck=healthcheck))
        self.store[ref] = info
        return info

    def inspect(self, ref: str) -> ImageInfo:
        self.eng.record(f"image.inspect {ref}")
        info = self.store.get(_norm(ref))
        if info is None:
            for i in self.store.values():
                if i.id == ref or i.id.split(":")[-1].startswith(ref):
                    return i
            raise NotFound(f"No such image: {ref}")
        return info

    def pull(self, ref: str, platform=None, on_event=None):
        self.eng.record(f"image.pull {ref}")
        if ref in self.eng.pull_fails:
            from engine.errors import RegistryError
            raise RegistryError(f"pull access denied for {ref}")
        return self.store.get(_norm(ref)) or self.add(ref)

    def list(self, filters=None):
        return list(self.store.values())

    def remove(self, ref: str, force: bool = False):
        self.eng.record(f"image.remove {ref}")
        if self.store.pop(_norm(ref), None) is None:
            raise NotFound(f"No such image: {ref}")

    def tag(self, source: str, target: str):
        self.store[_norm(target)] = self.inspect(source)


def _norm(ref: str) -> str:
    return ref if ":" in ref.rsplit("/", 1)[-1] or "@" in ref else ref + ":latest"


FOREVER_LIMIT = 60.0     # seconds a follow/wait on a container that never exits may last


class _Unstoppable:
    """Turns an endless follow/wait into an error: a container without an exit behaviour
    runs until something stops it, so a test that runs it in the foreground (``run``,
    attached ``up``) and stops it from nowhere would otherwise hang the whole suite."""

    def __init__(self, c: "_Container") -> None:
        self.c = c
        self.deadline = time.monotonic() + FOREVER_LIMIT

    def check(self, doing: str) -> None:
        if self.c.behaviour.exit_code is None and time.monotonic() > self.deadline:
            from engine.errors import EngineError
            raise EngineError(
                f"fake engine: {doing} {self.c.info.name} for {FOREVER_LIMIT:.0f} s, but it runs "
                f"until stopped and nothing stopped it: give it an exit behaviour "
                f"(fake_engine.behave(<service or name>, exit_code=0))")


class FakeContainers:
    def __init__(self, eng: "FakeEngine") -> None:
        self.eng = eng
        self.by_id: dict[str, _Container] = {}
        self.lock = threading.RLock()

    # --- lookup ---------------------------------------------------------------------------
    def _find(self, ref: str) -> _Container:
        with self.lock:
            if ref in self.by_id:
                return self.by_id[ref]
            for c in self.by_id.values():
                if c.info.name == ref:
                    return c
            hits = [c for c in self.by_id.values() if c.info.id.startswith(ref)]
            if len(hits) == 1:
                return hits[0]
        raise NotFound(f"No such container: {ref}")

    def _refresh(self, c: _Container) -> None:
        b = c.behaviour
        if c.status == "running" and b.exit_code is not None and time.monotonic() - c.started >= b.exit_after:
            c.status, c.exit_code = "exited", b.exit_code

    def _info(self, c: _Container) -> ContainerInfo:
        self._refresh(c)
        health = None
        if c.info.spec.healthcheck is not None and not c.info.spec.healthcheck.disable:
            status = "starting"
            if c.status == "running" and c.behaviour.health and \
                    time.monotonic() - c.started >= c.behaviour.health_after:
                status = c.behaviour.health
            health = HealthState(status=status) if c.status in ("running", "paused") else HealthState(status="unhealthy")
        state = ContainerState(status=c.status, running=c.status in ("running", "paused"),
                               paused=c.status == "paused", exit_code=c.exit_code,
                               pid=4242 if c.status == "running" else 0, health=health,
                               restart_count=c.restarts, started_at=c.started_at)
        return replace(c.info, state=state)

    # --- API ------------------------------------------------------------------------------
    def create(self, spec) -> ContainerInfo:
        with self.lock:
            name = spec.name or f"fake_{next(_counter)}"
            if any(c.info.name == name for c in self.by_id.values()):
                raise Conflict(f'Conflict. The container name "/{name}" is already in use')
            image = self.eng.images.inspect(spec.image)
            cid = _hexid(name)
            info = ContainerInfo(id=cid, name=name, image=spec.image, image_id=image.id,
                                 created=_now(), state=ContainerState(status="created"),
                                 spec=spec, labels=dict(spec.labels),
                                 networks={n: {"Aliases": list(e.aliases)} for n, e in spec.networks.items()},
                                 mounts=spec.mounts,
                                 ports=tuple(replace(p, host_port=p.host_port or 32768 + i)
                                             for i, p in enumerate(spec.ports)))
            service = spec.labels.get("com.docker.compose.service", "")
            self.by_id[cid] = _Container(info=info, behaviour=self.eng.behaviour_for(service, name))
            self.eng.record(f"container.create {name}")
            return self._info(self.by_id[cid])

    def start(self, ref: str) -> None:
        with self.lock:
            c = self._find(ref)
            self.eng.record(f"container.start {c.info.name}")
            if c.behaviour.start_error:
                from engine.errors import RuntimeFailure
                raise RuntimeFailure(c.behaviour.start_error)
            self._refresh(c)
            if c.status != "running":
                c.status, c.started, c.exit_code = "running", time.monotonic(), 0
                c.started_at = _now()

    def stop(self, ref: str, timeout=None) -> None:
        with self.lock:
            c = self._find(ref)
            self.eng.record(f"container.stop {c.info.name}")
            self._refresh(c)
            if c.status in ("running", "paused"):
                c.status, c.exit_code = "exited", 143

    def kill(self, ref: str, signal="SIGKILL") -> None:
        with self.lock:
            c = self._find(ref)
            self.eng.record(f"container.kill {c.info.name} {signal}")
            self._refresh(c)
            if c.status not in ("running", "paused"):
                raise Conflict(f"container {c.info.name} is not running")
            c.status, c.exit_code = "exited", 137

    def restart(self, ref: str, timeout=None) -> None:
        self.stop(ref, timeout)
        self.start(ref)

    def pause(self, ref: str) -> None:
        c = self._find(ref)
        self.eng.record(f"container.pause {c.info.name}")
        self._refresh(c)
        if c.status != "running":
            raise Conflict(f"container {c.info.name} is not running")
        c.status = "paused"

    def unpause(self, ref: str) -> None:
        c = self._find(ref)
        self.eng.record(f"container.unpause {c.info.name}")
        if c.status != "paused":
            raise Conflict(f"container {c.info.name} is not paused")
        c.status = "running"

    def remove(self, ref: str, force: bool = False, volumes: bool = False) -> None:
        with self.lock:
            c = self._find(ref)
            self._refresh(c)
            if c.status in ("running", "paused") and not force:
                raise Conflict(f"cannot remove running container {c.info.name}: stop it first")
            self.eng.record(f"container.remove {c.info.name}")
            del self.by_id[c.info.id]

    def rename(self, ref: str, new_name: str) -> None:
        with self.lock:
            c = self._find(ref)
            self.eng.record(f"container.rename {c.info.name} {new_name}")
            c.info = replace(c.info, name=new_name, spec=replace(c.info.spec, name=new_name))

    def inspect(self, ref: str) -> ContainerInfo:
        with self.lock:
            return self._info(self._find(ref))

    def list(self, all: bool = False, filters=None) -> list[ContainerInfo]:
        with self.lock:
            out = [self._info(c) for c in self.by_id.values() if _matches(c.info.labels, filters)]
        return [i for i in out if all or i.state.running]

    def wait(self, ref: str, condition: str = "not-running", timeout=None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        guard = _Unstoppable(self._find(ref))
        while True:
            info = self.inspect(ref)
            if not info.state.running and (condition != "next-exit" or info.state.status == "exited"):
                if info.state.status != "created" or condition == "not-running":
                    return info.state.exit_code
            if deadline is not None and time.monotonic() > deadline:
                from engine.errors import EngineError
                raise EngineError(f"timed out waiting for {ref}")
            guard.check("waiting for")
            time.sleep(0.02)

    def logs(self, ref: str, follow=False, since=None, until=None, tail=None, timestamps=False):
        c = self._find(ref)
        lines = list(c.behaviour.logs)
        if tail is not None and tail >= 0:
            lines = lines[len(lines) - tail:] if tail else []
        for line in lines:
            yield ("stdout", _now(), (line + "\n").encode())
        guard = _Unstoppable(c)
        while follow and self.inspect(ref).state.running:
            guard.check("following the logs of")
            time.sleep(0.02)

    def exec(self, ref: str, spec, stdin=None, stdout=None, stderr=None) -> int:
        c = self._find(ref)
        self.eng.record(f"container.exec {c.info.name} {' '.join(spec.cmd)}")
        if c.status != "running":
            raise Conflict(f"container {c.info.name} is not running")
        if stdout is not None and spec.cmd[:1] == ("echo",):
            data = (" ".join(spec.cmd[1:]) + "\n").encode()
            stdout(data) if callable(stdout) else stdout.write(data)
        return 0

    def top(self, ref: str, ps_args=None):
        c = self._find(ref)
        return {"Titles": ["UID", "PID", "CMD"], "Processes": [["root", "4242", " ".join(c.info.spec.command or ())]]}

    def copy_to(self, ref: str, src: str, dest: str) -> None:
        self.eng.record(f"container.copy_to {self._find(ref).info.name} {dest}")

    def copy_from(self, ref: str, src: str, dest: str) -> None:
        self.eng.record(f"container.copy_from {self._find(ref).info.name} {src}")

    def put_file(self, ref: str, path: str, data: bytes, mode: int = 0o444, uid: int = 0, gid: int = 0) -> None:
        self.eng.record(f"container.put_file {self._find(ref).info.name} {path} {oct(mode)}")


class FakeNetworks:
    def __init__(self, eng: "FakeEngine") -> None:
        self.eng = eng
        self.by_name: dict[str, NetworkInfo] = {}
        self.lock = threading.Lock()

    def create(self, spec: NetworkSpec) -> NetworkInfo:
        with self.lock:
            if spec.name in self.by_name:
                raise Conflict(f"network with name {spec.name} already exists")
            self.eng.record(f"network.create {spec.name}")
            info = NetworkInfo(id=_hexid(spec.name), name=spec.name, driver=spec.driver,
                               internal=spec.internal, subnets=spec.ipam, labels=dict(spec.labels),
                               created=_now(), spec=spec)
            self.by_name[spec.name] = info
            return info

    def inspect(self, ref: str) -> NetworkInfo:
        for info in self.by_name.values():
            if ref in (info.name, info.id):
                users = {c.info.id: {"Name": c.info.name} for c in self.eng.containers.by_id.values()
                         if info.name in c.info.spec.networks}
                return replace(info, containers=users)
        raise NotFound(f"network {ref} not found")

    def list(self, filters=None) -> list[NetworkInfo]:
        return [self.inspect(n.name) for n in list(self.by_name.values()) if _matches(n.labels, filters)]

    def remove(self, ref: str) -> None:
        info = self.inspect(ref)
        active = [c for c in self.eng.containers.by_id.values()
                  if info.name in c.info.spec.networks and c.status in ("running", "paused")]
        if active:                      # like the engine: only running containers are endpoints
            raise Conflict(f"error while removing network: network {info.name} has active endpoints")
        self.eng.record(f"network.remove {info.name}")
        del self.by_name[info.name]

    def connect(self, network: str, container_id: str, endpoint=None) -> None:
        self.eng.record(f"network.connect {network} {container_id[:12]}")

    def disconnect(self, network: str, container_id: str, force: bool = False) -> None:
        self.eng.record(f"network.disconnect {network} {container_id[:12]}")


class FakeVolumes:
    def __init__(self, eng: "FakeEngine") -> None:
        self.eng = eng
        self.by_name: dict[str, VolumeInfo] = {}

    def create(self, spec: VolumeSpec) -> VolumeInfo:
        name = spec.name or _hexid("anon")
        if name in self.by_name:
            return self.by_name[name]
        self.eng.record(f"volume.create {name}")
        info = VolumeInfo(name=name, driver=spec.driver, mountpoint=f"/fake/volumes/{name}/_data",
                          labels=dict(spec.labels), options=dict(spec.driver_opts), created=_now(),
                          anonymous=not spec.name)
        self.by_name[name] = info
        return info

    def inspect(self, name: str) -> VolumeInfo:
        try:
            return self.by_name[name]
        except KeyError:
            raise NotFound(f"get {name}: no such volume") from None

    def list(self, filters=None) -> list[VolumeInfo]:
        return [v for v in self.by_name.values() if _matches(v.labels, filters)]

    def remove(self, name: str, force: bool = False) -> None:
        self.inspect(name)
        for c in self.eng.containers.by_id.values():
            if any(m.source == name for m in c.info.spec.mounts):
                raise Conflict(f"remove {name}: volume is in use")
        self.eng.record(f"volume.remove {name}")
        del self.by_name[name]


class FakeEngine:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self._lock = threading.Lock()
        self.behaviours: dict[str, Behaviour] = {}
        self.pull_fails: set[str] = set()
        self.images = FakeImages(self)
        self.containers = FakeContainers(self)
        self.networks = FakeNetworks(self)
        self.volumes = FakeVolumes(self)
        self.layout = None
        import tempfile
        self.lock_dir = tempfile.mkdtemp(prefix="pycompose-fake-")   # project locks; see close()

    def close(self) -> None:
        """Remove the lock directory (tests call this when done)."""
        import shutil
        shutil.rmtree(self.lock_dir, ignore_errors=True)

    def record(self, call: str) -> None:
        with self._lock:
            self.calls.append(call)

    def behave(self, pattern: str, **kwargs) -> None:
        """Set the behaviour of containers whose service (or name) matches ``pattern``."""
        self.behaviours[pattern] = Behaviour(**kwargs)

    def behaviour_for(self, service: str, name: str) -> Behaviour:
        for pattern, b in self.behaviours.items():
            if fnmatch.fnmatch(service, pattern) or fnmatch.fnmatch(name, pattern):
                return b
        return Behaviour()

    def mutations(self) -> list[str]:
        """The calls that changed state (no inspects), in order."""
        return [c for c in self.calls if not c.startswith("image.inspect")]
