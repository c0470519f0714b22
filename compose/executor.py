"""Walks a Plan on an engine: operations run in a thread pool bounded by ``parallel``
(--parallel / COMPOSE_PARALLEL_LIMIT), each as soon as everything in its ``after`` is done.
The first failure stops scheduling (fail fast), lets running operations finish, and is
raised as OperationFailed with Docker Compose's message. Progress goes out as Events.

Acting is dumb on purpose: every decision was taken by the planner.
"""
from __future__ import annotations

import os
import threading
import time
from engine.records import replace
from pathlib import Path
from typing import Callable, Optional

from compose.errors import ComposeError, OperationFailed
from engine.errors import Conflict, EngineError, NotFound
from engine.events import Event

from . import convert
from . import labels as L
from . import naming
from .hashing_compat import service_hash
from .plan import CREATE, KEEP, RECREATE, REMOVE, START, STOP, WAIT, Operation, Plan

MAX_STANDBY = 4             # shims started ahead of the container starts of one plan
POLL_INTERVAL = 0.5          # depends_on service_healthy / completed polling (Docker Compose: 500 ms)


class Executor:
    def __init__(self, engine, project, *, on_event: Optional[Callable] = None, parallel: int = -1,
                 remove_volumes: bool = False, poll_interval: float = POLL_INTERVAL,
                 wait_timeout: Optional[float] = None) -> None:
        self.engine = engine
        self.project = project
        self.emit = on_event or (lambda ev: None)
        self.parallel = parallel if parallel and parallel > 0 else 32
        self.remove_volumes = remove_volumes
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self.warnings: list[str] = []
        self.cancel = threading.Event()
        self._ids: dict[str, str] = {}          # container name -> id (created during this run)
        self._lock = threading.Lock()
        self._standby: list = []                # pre-started container shims (real engine)

    # ------------------------------------------------------------------ scheduling
    def run(self, plan: Plan) -> None:
        for w in plan.warnings:
            self.emit(Event("warning", "", w))
        for op in plan.ordered():
            if op.action == KEEP and op.kind == "container" and op.cause == "up to date":
                self.emit(Event("container", op.name, "Running"))   # as Docker Compose shows it
        ops = [op for op in plan.ordered() if op.action != KEEP]
        self._prestart_shims(sum(1 for op in ops if op.kind == "container" and op.action == START))
        try:
            self._schedule(plan, ops)
        finally:
            self._close_standby()

    def _schedule(self, plan: Plan, ops: list) -> None:
        import concurrent.futures as cf
        keys = {op.key for op in ops}
        pending = {op.key: op for op in ops}
        done: set[str] = set(plan.keys()) - keys
        running: dict[cf.Future, Operation] = {}
        error: Optional[BaseException] = None
        pool = cf.ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="compose-op")
        try:
            while pending or running:
                if error is None and not self.cancel.is_set():
                    for key in [k for k, op in pending.items() if set(op.after) <= done]:
                        op = pending.pop(key)
                        running[pool.submit(self._run_op, op)] = op
                elif not running:
                    break
                if not running:
                    if pending:
                        raise OperationFailed("plan cannot make progress: " + ", ".join(sorted(pending)))
                    break
                finished, _ = cf.wait(list(running), return_when=cf.FIRST_COMPLETED)
                for fut in finished:
                    op = running.pop(fut)
                    exc = fut.exception()
                    if exc is None:
                        done.add(op.key)
                    elif error is None:
                        error = exc
                        self.cancel.set()
        except KeyboardInterrupt:
            self.cancel.set()
            pool.shutdown(wait=False, cancel_futures=True)   # a second Ctrl-C must not wait
            raise
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True, cancel_futures=True)
        if error is not None:
            raise error

    def _run_op(self, op: Operation) -> None:
        handler = {
            ("network", CREATE): self._network_create, ("network", REMOVE): self._network_remove,
            ("network", RECREATE): self._network_recreate,
            ("volume", CREATE): self._volume_create, ("volume", REMOVE): self._volume_remove,
            ("container", CREATE): self._container_create,
            ("container", RECREATE): self._container_recreate,
            ("container", START): self._container_start, ("container", STOP): self._container_stop,
            ("container", REMOVE): self._container_remove, ("service", WAIT): self._wait,
        }[(op.kind, op.action)]
        try:
            handler(op)
        except (ComposeError, EngineError) as e:
            if str(e) != "canceled" and op.kind != "service":   # wait errors name the container
                self.emit(Event(op.kind, op.name, "Error",
                                str(e).removeprefix("Error response from daemon: ")))
            raise

    # ------------------------------------------------------------------ networks / volumes
    def _network_create(self, op: Operation) -> None:
        self.emit(Event("network", op.name, "Creating"))
        try:
            self.engine.networks.create(convert.network_spec(self.project, op.data["key"],
                                                             op.data.get("hash", "")))
        except Conflict:
            pass                                # created meanwhile by someone else: fine
        self.emit(Event("network", op.name, "Created"))

    def _network_recreate(self, op: Operation) -> None:
        """A network whose config hash diverged (Docker Compose's removeDivergedNetwork):
        stop the containers of the services using it, disconnect them, remove the network,
        create it with the new config; the planner starts the containers again after."""
        attached = op.data.get("containers", [])
        running = [(cid, name) for cid, name, up in attached if up]
        self._parallel(lambda item: self._stop_quietly(*item), running)
        for cid, _name, _up in attached:
            try:
                self.engine.networks.disconnect(op.name, cid, force=True)
            except EngineError:
                pass                            # not connect()-attached: its spec names it
        try:
            self.engine.networks.remove(op.name)
        except NotFound:
            pass
        self.emit(Event("network", op.name, "Removed"))
        self._network_create(op)

    def _stop_quietly(self, cid: str, name: str) -> None:
        self.emit(Event("container", name, "Stopping"))
        try:
            self.engine.containers.stop(cid)
        except (NotFound, Conflict):
            pass
        self.emit(Event("container", name, "Stopped"))

    def _parallel(self, fn, items) -> None:
        items = list(items)
        if len(items) <= 1:
            for item in items:
                fn(item)
            return
        import concurrent.futures as cf
        with cf.ThreadPoolExecutor(max_workers=min(self.parallel, len(items))) as pool:
            for fut in [pool.submit(fn, item) for item in items]:
                fut.result()

    def _network_remove(self, op: Operation) -> None:
        self.emit(Event("network", op.name, "Removing"))
        try:
            self.engine.networks.remove(op.name)
        except NotFound:
            pass
        except Conflict:
            self.emit(Event("network", op.name, "Resource is still in use"))
            return
        self.emit(Event("network", op.name, "Removed"))

    def _volume_create(self, op: Operation) -> None:
        self.emit(Event("volume", op.name, "Creating"))
        self.engine.volumes.create(convert.volume_spec(self.project, op.data["key"],
                                                       op.data.get("hash", "")))
        self.emit(Event("volume", op.name, "Created"))

    def _volume_remove(self, op: Operation) -> None:
        quiet = op.data.get("quiet")            # a diverged volume's removal: no event (as Docker)
        if not quiet:
            self.emit(Event("volume", op.name, "Removing"))
        try:
            self.engine.volumes.remove(op.name, force=bool(quiet))
        except NotFound:
            pass
        except Conflict:
            if quiet:
                raise
            self.emit(Event("volume", op.name, "Resource is still in use"))
            return
        if not quiet:
            self.emit(Event("volume", op.name, "Removed"))

    # ------------------------------------------------------------------ containers
    def _context(self, service, number: int, **kw) -> convert.ContainerContext:
        image = self.engine.images.inspect(convert.image_ref(self.project, service))
        ctx = convert.ContainerContext(number=number, config_hash=service_hash(self.project, service),
                                       image_id=image.id, **kw)
        for dep in namespace_parents(service):
            found = self.engine.containers.list(all=True, filters=L.project_filter(
                self.project.name, f"{L.SERVICE}={dep}", f"{L.ONEOFF}=False"))
            if found:
                ctx.service_containers[dep] = sorted(found, key=lambda c: L.container_number(c.labels))[0].id
        ctx.secret_files = write_file_contents(self.engine, self.project, service)
        return ctx

    def _container_create(self, op: Operation) -> None:
        service = self.project.services[op.service]
        self.emit(Event("container", op.name, "Creating"))
        spec = convert.container_spec(self.project, service, self._context(service, op.number))
        info = self.engine.containers.create(spec)
        with self._lock:
            self._ids[op.name] = info.id
        self.emit(Event("container", op.name, "Created"))

    def _container_recreate(self, op: Operation) -> None:
        service = self.project.services[op.service]
        old = self.engine.containers.inspect(op.container_id)
        self.emit(Event("container", op.name, "Recreate", op.cause))
        inherit = () if op.data.get("renew_anon_volumes") else tuple(
            m for m in old.mounts if m.type == "volume" and _anonymous(m, old))
        ctx = self._context(service, op.number, name=naming.temporary_name(old.id, op.name),
                            inherit_mounts=inherit)
        spec = convert.container_spec(self.project, service, ctx)
        spec = replace(spec, labels={**spec.labels, L.REPLACE: old.id})
        new = self.engine.containers.create(spec)
        if old.state.running or old.state.status in ("paused", "restarting"):
            self.engine.containers.stop(old.id, timeout=service.stop_grace_period)
        # -V: the old anonymous volumes are not inherited, so they go with the old container
        self.engine.containers.remove(old.id, force=True,
                                      volumes=bool(op.data.get("renew_anon_volumes")))
        self.engine.containers.rename(new.id, op.name)
        with self._lock:
            self._ids[op.name] = new.id
        self.emit(Event("container", op.name, "Recreated"))

    def container_id(self, op: Operation) -> str:
        with self._lock:
            cid = self._ids.get(op.name)
        return cid or op.container_id or op.name

    def _container_start(self, op: Operation) -> None:
        self.emit(Event("container", op.name, "Starting"))
        standby = self._take_standby()
        try:
            if standby is not None:
                self.engine.containers.start(self.container_id(op), standby=standby)
            else:
                self.engine.containers.start(self.container_id(op))
        except EngineError as e:
            raise OperationFailed(f"Error response from daemon: {e}") from e
        finally:
            if standby is not None:
                standby.close()                 # the shim keeps the container (detached)
        self.emit(Event("container", op.name, "Started"))

    # ------------------------------------------------------------------ pre-started shims
    def _prestart_shims(self, count: int) -> None:
        """Start the shims of the containers this plan starts right away (the real engine's
        StandbyShim): their interpreter start-up overlaps the networks, volumes and creates,
        so a start only hands the container id over. Done before any thread exists (fork)."""
        layout = getattr(self.engine, "layout", None)
        if layout is None or count <= 0:
            return
        try:
            from engine.runtime.launch import StandbyShim
        except ImportError:
            return
        for _ in range(min(count, self.parallel, MAX_STANDBY)):
            try:
                self._standby.append(StandbyShim(layout))
            except OSError:
                break

    def _take_standby(self):
        with self._lock:
            return self._standby.pop() if self._standby else None

    def _close_standby(self) -> None:
        with self._lock:
            left, self._standby = self._standby, []
        for standby in left:
            standby.close()

    def _container_stop(self, op: Operation) -> None:
        self.emit(Event("container", op.name, "Stopping"))
        try:
            self.engine.containers.stop(self.container_id(op), timeout=op.timeout)
        except (NotFound, Conflict):
            pass
        self.emit(Event("container", op.name, "Stopped"))

    def _container_remove(self, op: Operation) -> None:
        self.emit(Event("container", op.name, "Removing"))
        try:
            self.engine.containers.remove(self.container_id(op), force=True, volumes=self.remove_volumes)
        except NotFound:
            pass
        self.emit(Event("container", op.name, "Removed"))

    # ------------------------------------------------------------------ depends_on conditions
    def _wait(self, op: Operation) -> None:
        try:
            wait_condition(self.engine, self.project.name, op.service, op.condition,
                           emit=self.emit, cancel=self.cancel, poll=self.poll_interval,
                           timeout=self.wait_timeout)
        except OperationFailed as e:
            if op.required:
                raise
            self.warnings.append(str(e))
            self.emit(Event("warning", op.service, str(e)))


def namespace_parents(service) -> list[str]:
    """The services whose container id the spec needs (``network_mode``/``ipc``/``pid:
    service:X``, ``volumes_from: X``): only those are looked up at create time."""
    out = []
    for mode in (service.network_mode, service.ipc, service.pid):
        if mode and mode.startswith("service:"):
            out.append(mode[len("service:"):])
    for entry in service.volumes_from:
        if not entry.startswith("container:"):
            out.append(entry.split(":", 1)[0])
    return list(dict.fromkeys(out))


def _anonymous(mount, info) -> bool:
    return len(mount.source) == 64 and all(ch in "0123456789abcdef" for ch in mount.source)


def service_containers(engine, project_name: str, service: str) -> list:
    found = engine.containers.list(all=True, filters=L.project_filter(
        project_name, f"{L.SERVICE}={service}", f"{L.ONEOFF}=False"))
    return sorted(found, key=lambda c: L.container_number(c.labels))


def wait_condition(engine, project_name: str, service: str, condition: str, *, emit=None,
                   cancel: Optional[threading.Event] = None, poll: float = POLL_INTERVAL,
                   timeout: Optional[float] = None) -> None:
    """Block until ``condition`` holds for every container of ``service`` (Docker Compose's
    messages on failure: BEHAVIOUR.md §5.9)."""
    emit = emit or (lambda ev: None)
    if condition == "service_started":
        return
    containers = service_containers(engine, project_name, service)
    for c in containers:
        emit(Event("container", c.name, "Waiting"))
    deadline = None if timeout is None else time.monotonic() + timeout
    pending = [c.id for c in containers]
    while pending:
        for cid in list(pending):
            info = engine.containers.inspect(cid)
            if _condition_met(info, condition, service):
                pending.remove(cid)
                emit(Event("container", info.name, "Healthy" if condition == "service_healthy" else "Exited"))
        if not pending:
            return
        if cancel is not None and cancel.is_set():
            raise OperationFailed("canceled")
        if deadline is not None and time.monotonic() > deadline:
            raise OperationFailed(f"timeout waiting for service {service} ({condition})")
        time.sleep(poll)


def _condition_met(info, condition: str, service: str) -> bool:
    st = info.state
    if condition == "service_healthy":
        if st.health is None or not st.health.status:
            raise OperationFailed(f"container {info.name} has no healthcheck configured")
        if st.health.status == "healthy" and st.running:
            return True
        if not st.running and st.status in ("exited", "dead"):
            raise OperationFailed(f"dependency failed to start: container {info.name} exited ({st.exit_code})")
        if st.health.status == "unhealthy":
            raise OperationFailed(f"dependency failed to start: container {info.name} is unhealthy")
        return False
    if condition == "service_completed_successfully":
        if st.running or st.status in ("created", "restarting"):
            return False
        if st.exit_code != 0:
            raise OperationFailed(f'service "{service}" didn\'t complete successfully: exit {st.exit_code}')
        return True
    return True


def write_file_contents(engine, project, service) -> dict:
    """Write content/environment secrets and configs to host files (mode, uid, gid applied)
    and return {target: host path} for read-only bind mounts."""
    entries = convert.file_contents(project, service)
    if not entries:
        return {}
    layout = getattr(engine, "layout", None)
    if layout is not None:
        base = layout.compose_files(project.name) / service.name
    else:                                   # the in-memory test engine: its own directory
        import tempfile
        base = Path(getattr(engine, "lock_dir", tempfile.gettempdir())) / "files" / project.name / service.name
    out = {}
    for target, data, mode, uid, gid in entries:
        path = base / target.strip("/").replace("/", "__")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.chmod(tmp, mode)
        if os.geteuid() == 0:
            os.chown(tmp, uid, gid)
        os.replace(tmp, path)
        out[target] = str(path)
    return out
