"""ContainerService: the container half of the engine API (eng.containers).

    create(spec, on_event=None) -> ContainerInfo      start(id)      stop(id, timeout=None)
    kill(id, signal="KILL")   restart(id, timeout=None)   pause(id)   unpause(id)
    remove(id, force=False, volumes=False)   wait(id, condition="not-running", timeout=None)
    inspect(id_or_name) -> ContainerInfo   list(all=False, filters=None)   rename(id, new)
    logs / exec / attach / top / stats / copy_to / copy_from / health / port: see ops.py

Containers are found by full id, unique id prefix or name. Errors: NotFound, Conflict,
InvalidArgument, RuntimeFailure (with ``exit_code`` 125/126/127 when the command could not
be started).
"""
from __future__ import annotations

import os
import shutil
import signal as signalmod
import time
from typing import Optional

from engine.errors import Conflict, InvalidArgument, NotFound, RuntimeFailure
from engine.events import Event
from engine.locks import flock
from engine.types import ContainerInfo, ContainerSpec

from . import ops
from .createspec import resolve_create
from .shimstate import HIDDEN_CONFIG, alive, wait_gone
from .store import ContainerStore


def parse_signal(sig) -> int:
    if isinstance(sig, int):
        return sig
    text = str(sig).upper().strip()
    if text.isdigit():
        return int(text)
    if not text.startswith("SIG"):
        text = "SIG" + text
    try:
        return int(signalmod.Signals[text])
    except KeyError:
        raise InvalidArgument(f"invalid signal: {sig}") from None


def signal_deliverable(pid: int, sig: int) -> bool:
    """Can ``sig`` sent from outside reach ``pid``? The kernel drops signals sent from an
    ancestor pid namespace to that namespace's init (NSpid ends in 1) unless it installed a
    handler for them (SigCgt); SIGKILL/SIGSTOP always get through. True when unsure."""
    if sig in (signalmod.SIGKILL, signalmod.SIGSTOP) or not pid:
        return True
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        nspid = fields["NSpid"].split()
        caught = int(fields["SigCgt"].strip(), 16)
    except (OSError, KeyError, ValueError):
        return True
    if len(nspid) < 2 or nspid[-1] != "1":
        return True                       # not the init of its own (child) pid namespace
    return bool(caught & (1 << (sig - 1)))


class ContainerService(ops.OpsMixin):
    def __init__(self, engine) -> None:
        self.engine = engine
        self.layout = engine.layout
        self.store = ContainerStore(engine)
        from .boot import first_use_after_boot
        if first_use_after_boot(self.layout):
            from .boot import restart_after_boot
            try:
                restart_after_boot(self, quiet=True)
            except Exception:  # noqa: BLE001 - never fail the command that came first
                pass

    # ------------------------------------------------------------------ create
    def create(self, spec: ContainerSpec, on_event=None, *, auto_remove: bool = False) -> ContainerInfo:
        self._finish_orphaned_removals()
        image = self.engine.images.inspect(spec.image)
        cid = os.urandom(32).hex()          # (secrets would import hashlib + hmac)
        cfg = resolve_create(cid, spec, image)
        cfg["auto_remove"] = auto_remove
        with flock(self.layout.lock_file("container-names"), what="container names"):
            name = self.store.check_name(spec.name) if spec.name else self.store.generate_name()
            cfg["name"] = name
            rootfs = self.engine.images.prepare_rootfs(image.id, cid)
            from .plan import rootfs_dict
            cfg["rootfs"] = rootfs_dict(rootfs)
            self.store.save_config(cfg)
        self.store.state_file(cid).update(status="created", restart_count=0)
        if on_event:
            on_event(Event("container", name, "Created"))
        return self.store.info(cid)

    # ------------------------------------------------------------------ lookup
    def inspect(self, id_or_name: str) -> ContainerInfo:
        return self.store.info(self.store.resolve(id_or_name))

    def list(self, all: bool = False, filters: Optional[dict] = None) -> list[ContainerInfo]:
        from .store import build_info
        out = []
        for cid in self.store.ids():
            try:
                cfg = self.store.load_config(cid)
            except NotFound:
                continue
            if not _config_matches(cid, cfg, filters or {}):
                continue            # label/name/id from the config: no state read, no info built
            info = build_info(cfg, self.store.live_state(cid, cfg))
            if not all and not info.state.running and info.state.status != "restarting":
                continue
            if _matches(info, filters or {}):
                out.append(info)
        out.sort(key=lambda i: i.created, reverse=True)
        return out

    # ------------------------------------------------------------------ start / stop
    def start(self, id: str, on_event=None, *, standby=None) -> None:
        """Start the container's shim. The shim process is started first (a
        launch.StandbyShim), so its interpreter start-up overlaps the cgroup, sandbox and plan
        preparation; ``standby``: one the caller started earlier and reads the output from."""
        cid = self.store.resolve(id)
        own = None
        if standby is None:
            from .launch import StandbyShim
            standby = own = StandbyShim(self.layout)
        try:
            with flock(self.store.op_lock(cid), what=f"container {cid[:12]}"):
                cfg = self.store.load_config(cid)
                st = self.store.live_state(cid)
                if st.get("status") in ("running", "paused", "restarting") and \
                        alive(st.get("shim_pid", 0), st.get("shim_start", 0)):
                    return
                self._wait_shim_gone(st)
                info = self.store.info(cid)
                run_dir = self.layout.container_run_dir(cid)
                shutil.rmtree(run_dir, ignore_errors=True)
                run_dir.mkdir(parents=True, exist_ok=True)
                from .startup import prepare_run
                prepare_run(self, cfg, info)
                report = standby.go(cid)
        finally:
            if own is not None:
                own.close()
        if not report.get("ok"):
            err = RuntimeFailure(_start_error(cid, report))
            err.exit_code = int(report.get("code") or 125)
            raise err
        if on_event:
            on_event(Event("container", cfg["name"], "Started"))

    def run_attached(self, id: str, on_output, on_started=None) -> int:
        """Start and run the container with this process as its shim (foreground ``run``):
        no extra interpreter, output also goes to ``on_output(stream, bytes)``. Blocks until
        the container has stopped for good; -> exit code. Raises like ``start``."""
        from . import syscalls as sc
        from .shim import Shim
        from .startup import prepare_run
        cid = self.store.resolve(id)
        with flock(self.store.op_lock(cid), what=f"container {cid[:12]}"):
            cfg = self.store.load_config(cid)
            info = self.store.info(cid)
            if info.state.running:
                raise Conflict(f"container {cid[:12]} is already running")
            run_dir = self.layout.container_run_dir(cid)
            shutil.rmtree(run_dir, ignore_errors=True)
            run_dir.mkdir(parents=True, exist_ok=True)
            plan = prepare_run(self, cfg, info)
        sc.prctl(sc.PR_SET_CHILD_SUBREAPER, 1)
        shim = Shim(cid, str(self.layout.root), str(self.layout.runroot), plan, on_output)
        result = {}

        def started(error, pid1):
            result["error"] = error
            if on_started is not None and error is None:
                on_started(pid1)
        old = signalmod.getsignal(signalmod.SIGCHLD)
        try:
            shim.run(-1, started)
        finally:
            signalmod.set_wakeup_fd(-1)
            signalmod.signal(signalmod.SIGCHLD, old)
            if self.store.config_path(cid).exists():
                self.store.state_file(cid).update(shim_pid=0, shim_start=0)
        if result.get("error") is not None:
            code, message = result["error"]
            err = RuntimeFailure(_start_error(cid, {"error": message}))
            err.exit_code = code
            raise err
        st = self.store.state_file(cid).read()
        return int(st.get("exit_code", 0))

    def boot(self) -> list[str]:
        """Start what a daemon would start at boot (restart ``always``, ``unless-stopped``
        unless stopped by the user), once per kernel boot. -> ids started. Also runs by
        itself on the first engine use after a boot (`pycompose system boot` for systemd)."""
        from .boot import restart_after_boot
        return restart_after_boot(self)

    def _wait_shim_gone(self, st: dict, timeout: float = 5.0) -> None:
        wait_gone(st.get("shim_pid", 0), st.get("shim_start", 0), timeout)

    def stop(self, id: str, timeout: Optional[float] = None, on_event=None) -> None:
        cid = self.store.resolve(id)
        cfg = self.store.load_config(cid)
        st = self.store.live_state(cid)
        shim_alive = st.get("shim_pid") != os.getpid() and \
            alive(st.get("shim_pid", 0), st.get("shim_start", 0))
        if st.get("status") not in ("running", "paused", "restarting") and not shim_alive:
            return
        self._request_stop(cid)
        st = self.store.live_state(cid)
        grace = cfg.get("stop_timeout", 10.0) if timeout is None else timeout
        if st.get("running"):
            sig = parse_signal(cfg.get("stop_signal") or "SIGTERM")
            if not signal_deliverable(st.get("pid", 0), sig):
                sig = signalmod.SIGKILL       # the kernel would drop it: no grace to wait out
            self._signal(cid, st, sig)
            if not self._wait_dead(st, 10.0 if sig == signalmod.SIGKILL else grace):
                self._signal(cid, st, signalmod.SIGKILL)
                self._wait_dead(st, 10.0)
        self._settle(cid, st)
        if on_event:
            on_event(Event("container", cfg["name"], "Stopped"))

    def kill(self, id: str, signal="KILL") -> None:
        """Send ``signal`` to PID 1 (no waiting, like ``docker kill``)."""
        cid = self.store.resolve(id)
        st = self.store.live_state(cid)
        if not st.get("running"):
            raise Conflict(f"Cannot kill container: {id}: container {cid} is not running")
        sig = parse_signal(signal)
        self._request_stop(cid)
        self._signal(cid, st, sig)

    def restart(self, id: str, timeout: Optional[float] = None) -> None:
        self.stop(id, timeout)
        self.start(id)

    def _request_stop(self, cid: str) -> None:
        run_dir = self.layout.container_run_dir(cid)
        if run_dir.is_dir():
            (run_dir / "stop-requested").touch()
        # persistent (the run dir is on tmpfs): `unless-stopped` stays down after a reboot
        self.store.state_file(cid).update(manually_stopped=True)

    def _signal(self, cid: str, st: dict, sig: int) -> None:
        pid = st.get("pid", 0)
        if not alive(pid, st.get("pid_start", 0)):
            return
        if st.get("status") == "paused" and sig in (signalmod.SIGKILL, signalmod.SIGTERM):
            try:
                os.kill(pid, sig)
            finally:
                self._cgroup(st).thaw()
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def _wait_dead(self, st: dict, timeout: float) -> bool:
        return wait_gone(st.get("pid", 0), st.get("pid_start", 0), timeout)

    def _settle(self, cid: str, st: dict, timeout: float = 10.0, shim_exit: bool = False) -> None:
        """Wait until the shim recorded the exit (or, with ``shim_exit``, has exited);
        reconcile if there is no shim."""
        deadline = time.monotonic() + timeout
        sf = self.store.state_file(cid)
        if shim_exit and st.get("shim_pid") != os.getpid():
            wait_gone(st.get("shim_pid", 0), st.get("shim_start", 0), timeout)
        while st.get("shim_pid") != os.getpid() and \
                alive(st.get("shim_pid", 0), st.get("shim_start", 0)):
            if not shim_exit and sf.read().get("status") not in ("running", "paused",
                                                                 "restarting"):
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.005)
        self.store.live_state(cid)

    def _cgroup(self, st: dict):
        from .cleanup import cgroup_from_plan
        cg = cgroup_from_plan({"cgroup": st.get("cgroup")})
        if cg is None:
            raise Conflict("container has no cgroup (not running)")
        return cg

    # ------------------------------------------------------------------ pause
    def pause(self, id: str) -> None:
        cid = self.store.resolve(id)
        st = self.store.live_state(cid)
        if st.get("status") == "paused":
            raise Conflict(f"Container {cid} is already paused")
        if not st.get("running"):
            raise Conflict(f"Container {cid} is not running")
        self._cgroup(st).freeze()

    def unpause(self, id: str) -> None:
        cid = self.store.resolve(id)
        st = self.store.live_state(cid)
        if st.get("status") != "paused":
            raise Conflict(f"Container {cid} is not paused")
        self._cgroup(st).thaw()

    # ------------------------------------------------------------------ remove / wait / rename
    def remove(self, id: str, force: bool = False, volumes: bool = False) -> None:
        cid = self.store.resolve(id)
        st = self.store.live_state(cid)
        if st.get("status") in ("running", "paused", "restarting"):
            if not force:
                raise Conflict(f"You cannot remove a running container {cid}. Stop the "
                               f"container before attempting removal or force remove")
            self._request_stop(cid)
            self._signal(cid, st, signalmod.SIGKILL)
            self._wait_dead(st, 10.0)
        self._settle(cid, st, shim_exit=True)
        with flock(self.store.op_lock(cid), what=f"container {cid[:12]}"):
            if not self.store.config_path(cid).exists():
                return
            self._purge(cid, self.store.load_config(cid), volumes)
        self._drop_locks(cid)

    def finish_removal(self, cid: str, volumes: bool = True) -> None:
        """Complete the auto-removal of a container its shim has hidden (config.json renamed
        to HIDDEN_CONFIG, see shim.hide_config): mounts, volumes, rootfs, directories."""
        from engine.layout import read_json
        with flock(self.store.op_lock(cid), what=f"container {cid[:12]}"):
            cfg = read_json(self.layout.container_dir(cid) / HIDDEN_CONFIG)
            if cfg is None:
                return
            self._purge(cid, cfg, volumes)
        self._drop_locks(cid)

    def _finish_orphaned_removals(self) -> None:
        """Auto-removals whose shim died after hiding the container (config renamed, see
        shim.hide_config) are finished by the next create: nothing stays behind unseen."""
        try:
            entries = list(os.scandir(self.layout.containers))
        except FileNotFoundError:
            return
        for entry in entries:
            base = entry.path
            if os.path.exists(os.path.join(base, "config.json")) or \
                    not os.path.exists(os.path.join(base, HIDDEN_CONFIG)):
                continue
            st = self.store.state_file(entry.name).read()
            if alive(st.get("shim_pid", 0), st.get("shim_start", 0)):
                continue                  # its shim is finishing it
            try:
                self.finish_removal(entry.name)
            except Exception:  # noqa: BLE001 - best effort, never fail the create
                pass

    def _purge(self, cid: str, cfg: dict, volumes: bool) -> None:
        from . import deps
        from .cleanup import release_runtime
        recorded = self.store.state_file(cid).read()
        if not recorded.get("released", True) or recorded.get("status") in (
                "running", "paused", "restarting"):
            release_runtime(str(self.layout.root), str(self.layout.runroot), cid,
                            {"cgroup": recorded.get("cgroup")})
        else:
            shutil.rmtree(self.layout.container_run_dir(cid), ignore_errors=True)
        if recorded.get("mounts") or cfg["spec"].get("mounts") or \
                cfg["spec"].get("volumes_from"):
            deps.release_mounts(self.engine, cid, volumes)
        trash = []
        try:
            trash.append(self.engine.images.release_rootfs(cid, defer=True))
        except NotFound:
            pass
        # renamed away at once (gone for every reader), deleted by a background rm: the
        # unlinks were most of a removal's time (engine/trash.py)
        cdir = self.layout.container_dir(cid)
        try:
            dest = self.engine.images.snapshots.trash_path()
            os.rename(cdir, dest)
            trash.append(str(dest))
        except OSError:
            shutil.rmtree(cdir, ignore_errors=True)
        from engine.trash import discard
        discard(trash)
        for path in (self.layout.rootfs_mount(cid), self.layout.container_run_dir(cid)):
            shutil.rmtree(path, ignore_errors=True)

    def _drop_locks(self, cid: str) -> None:
        for lock in (self.store.op_lock(cid), self.layout.lock_file(f"container-{cid}")):
            try:
                os.unlink(lock)
            except OSError:                # each on its own: a missing one must not keep the other
                pass

    def wait(self, id: str, condition: str = "not-running", timeout: Optional[float] = None) -> int:
        try:
            cid = self.store.resolve(id)
        except NotFound:
            if condition == "removed":        # already gone (an auto-remove may be quick)
                return 0
            raise
        deadline = None if timeout is None else time.monotonic() + timeout
        seen_running = False
        while True:
            if not self.store.config_path(cid).exists():
                if condition == "removed":
                    return 0
                raise NotFound(f"No such container: {id}")
            st = self._recorded_state(cid)
            status = st.get("status", "created")
            busy = status in ("running", "paused", "restarting")
            seen_running = seen_running or busy
            done = not busy and (condition == "not-running" or
                                 (condition == "next-exit" and seen_running))
            if done and condition != "removed":
                return int(st.get("exit_code", 0))
            if deadline is not None and time.monotonic() > deadline:
                raise RuntimeFailure(f"timed out waiting for container {id}")
            time.sleep(0.02)

    def _recorded_state(self, cid: str) -> dict:
        """state.json as the shim wrote it while the shim lives (its exit record is final
        only once output is drained), else the kernel-corrected state."""
        st = self.store.state_file(cid).read()
        if alive(st.get("shim_pid", 0), st.get("shim_start", 0)):
            return st
        return self.store.live_state(cid)

    def rename(self, id: str, new_name: str) -> None:
        cid = self.store.resolve(id)
        with flock(self.layout.lock_file("container-names"), what="container names"):
            name = self.store.check_name(new_name, own_id=cid)
            cfg = self.store.load_config(cid)
            if cfg["name"] == name:
                raise InvalidArgument(f"Renaming a container with the same name as its "
                                      f"current name")
            cfg["name"] = name
            self.store.save_config(cfg)


def _start_error(cid: str, report: dict) -> str:
    msg = report.get("error") or "unknown error"
    return (f"failed to start container {cid[:12]}: unable to start container process: "
            f"{msg}")


def _config_matches(cid: str, cfg: dict, filters: dict) -> bool:
    """The label / name / id filters checked on the raw config (the cheap part of _matches;
    _matches still checks everything on the built info)."""
    for key in ("label", "name", "id"):
        values = filters.get(key)
        values = [values] if isinstance(values, str) else list(values or ())
        if not values:
            continue
        if key == "label":
            labels = (cfg.get("spec") or {}).get("labels") or {}
            for want in values:
                k, sep, v = want.partition("=")
                if k not in labels or (sep and labels[k] != v):
                    return False
        elif key == "name":
            if not any(v.lstrip("/") in cfg.get("name", "") for v in values):
                return False
        elif not any(cid.startswith(v) for v in values):
            return False
    return True


def _matches(info: ContainerInfo, filters: dict) -> bool:
    for key, values in filters.items():
        values = [values] if isinstance(values, str) else list(values)
        if not values:
            continue
        if key == "label":
            for want in values:
                k, sep, v = want.partition("=")
                if k not in info.labels or (sep and info.labels[k] != v):
                    return False
        elif key == "name":
            if not any(v.lstrip("/") in info.name for v in values):
                return False
        elif key == "id":
            if not any(info.id.startswith(v) for v in values):
                return False
        elif key == "status":
            if info.state.status not in values:
                return False
        elif key == "ancestor":
            if not any(v in (info.image, info.image_id) for v in values):
                return False
        else:
            raise InvalidArgument(f"invalid filter {key!r}")
    return True
