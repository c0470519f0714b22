"""state.json of a container: atomic, flock-guarded updates; liveness from /proc.

Small on purpose (the shim imports it; ``json`` is imported where a state is parsed or
written, so a liveness check alone stays light). A recorded pid is alive only if /proc/<pid>/stat
shows the recorded start time and the process is not a zombie (runc's check).
"""
from __future__ import annotations

import fcntl
import os

# a removal in progress: config.json renamed to this (no listing or lookup sees it any more)
HIDDEN_CONFIG = "config.removing.json"


def boot_id() -> str:
    """The kernel's id of this boot (new after every reboot); recorded when PID 1 starts."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return ""


def proc_start_time(pid: int) -> int:
    """Field 22 of /proc/<pid>/stat (clock ticks since boot); 0 if there is no such process."""
    stat = _stat(pid)
    return int(stat[19]) if stat else 0


def _stat(pid: int):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode(errors="replace")
    except OSError:
        return None
    return raw[raw.rfind(")") + 2:].split()


def alive(pid: int, start: int) -> bool:
    """Is ``pid`` the process we started (same start time) and not a zombie?"""
    if not pid:
        return False
    stat = _stat(pid)
    if not stat:
        return False
    if stat[0] in ("Z", "X"):
        return False
    return not start or int(stat[19]) == int(start)


def wait_gone(pid: int, start: int, timeout: float) -> bool:
    """Wait until ``pid`` (identified by its start time) has exited; True if it has.

    Sleeps on a pidfd (readable once the process exits, zombie included), so it returns as
    soon as the process is gone instead of on a polling tick."""
    import select
    import time
    deadline = time.monotonic() + timeout
    while alive(pid, start):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            fd = os.pidfd_open(pid)
        except (OSError, AttributeError):
            time.sleep(min(0.01, left))           # no pidfd (kernel < 5.3): a short tick
            continue
        try:
            if not alive(pid, start):             # opened another process of the same pid
                return True
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            poller.poll(max(1, int(left * 1000)))
        finally:
            os.close(fd)
    return True


class StateFile:
    def __init__(self, path: str, lock_path: str):
        self.path = path
        self.lock_path = lock_path

    def read(self) -> dict:
        import json
        try:
            with open(self.path, "rb") as f:
                return json.loads(f.read() or b"{}")
        except (OSError, ValueError):
            return {}

    def write(self, state: dict) -> None:
        """Atomic replace. No fsync: runtime state is re-derived from the kernel after a
        crash anyway, and an fsync per state change costs ~10 ms on every start/stop."""
        import json
        tmp = f"{self.path}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, json.dumps(state, sort_keys=True).encode())
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

    def update(self, **changes) -> dict:
        os.makedirs(os.path.dirname(self.lock_path), exist_ok=True)
        lock = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self.read()
            state.update(changes)
            self.write(state)
            return state
        finally:
            os.close(lock)


def write_json_fast(path: str, obj) -> None:
    """Atomic (temp + rename) but not durable: for files that need not survive a crash —
    run state under the runroot, the config of an auto-removed container. No fsync (two of
    them cost 5-10 ms on this disk)."""
    import json
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, json.dumps(obj, indent=1, sort_keys=True).encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


def unix_path(path: str):
    """(short path usable for bind/connect, dir fd to close afterwards or -1).

    sun_path holds 107 bytes; long run dirs go through /proc/self/fd/<dir fd>/<name>."""
    if len(path) < 100:
        return path, -1
    fd = os.open(os.path.dirname(path), os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    return f"/proc/self/fd/{fd}/{os.path.basename(path)}", fd


def unix_call(sock, method: str, path: str) -> None:
    """sock.bind(path) / sock.connect(path) with the long-path workaround."""
    short, fd = unix_path(path)
    try:
        getattr(sock, method)(short)
    finally:
        if fd >= 0:
            os.close(fd)
