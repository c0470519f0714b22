"""Starting shim processes (light imports: the CLI's foreground `run` uses it first thing).

    launch_shim(layout, cid) -> report       fork + exec a detached shim, wait for its report
    StandbyShim(layout)                      a shim started before its container exists
"""
from __future__ import annotations

import json
import os
import sys

from engine.errors import RuntimeFailure


def _package_parent() -> str:
    import engine
    return os.path.dirname(os.path.dirname(os.path.abspath(engine.__file__)))


def _shim_env() -> dict:
    # bytecode caching stays on: the shim starts for every container and must start fast
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
           "PYTHONPATH": _package_parent()}
    for key in ("PYCOMPOSE_CGROUP_PARENT", "PYCOMPOSE_ROOT", "PYCOMPOSE_RUNROOT"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def _fork_shim(argv_tail: list[str], keep_fd: int) -> int:
    """fork + exec ``python -S -m engine.runtime.shim ARGV_TAIL`` keeping ``keep_fd``."""
    argv = [sys.executable, "-S", "-m", "engine.runtime.shim"] + argv_tail
    env = _shim_env()
    pid = os.fork()
    if pid == 0:
        try:
            os.set_inheritable(keep_fd, True)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.chdir("/")
            os.execve(sys.executable, argv, env)
        finally:
            os._exit(127)
    return pid


def _parse_report(data: bytes, cid: str) -> dict:
    try:
        return json.loads(data)
    except ValueError:
        raise RuntimeFailure(f"container {cid[:12]}: the shim did not start") from None


def launch_shim(layout, cid: str) -> dict:
    """Start the shim for ``cid`` (plan.json written) and return its report."""
    r, w = os.pipe()
    pid = _fork_shim([cid, str(layout.root), str(layout.runroot), str(w)], w)
    os.close(w)
    os.waitpid(pid, 0)
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(r, 4096)
        if not chunk:
            break
        data += chunk
    os.close(r)
    return _parse_report(data, cid)


class StandbyShim:
    """A shim started before its container exists (foreground ``run``): its interpreter
    start-up overlaps the caller's create + prepare, and the caller's end of the socket is
    the container's first attach client, so no output is missed. The shim is detached (its own
    session): a killed caller does not stop the container, its logs or its exit record.

        standby = StandbyShim(layout)        # at once
        report = standby.go(cid)             # after create; plan.json written (start())
        for kind, data in standby.frames():  # 1 stdout, 2 stderr, 3 exit code, 4 removed
    """

    def __init__(self, layout):
        import socket
        self.sock, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.pid = _fork_shim(["--standby", str(layout.root), str(layout.runroot),
                                   str(child.fileno())], child.fileno())
        finally:
            child.close()
        self.buf = b""
        self.report: dict = {}

    def go(self, cid: str) -> dict:
        try:
            self.sock.sendall(cid.encode() + b"\n")
        except OSError:
            pass
        self._reap()
        line = b""
        while b"\n" not in self.buf:
            chunk = self._recv()
            if not chunk:
                break
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        self.report = _parse_report(line, cid)
        return self.report

    def _recv(self) -> bytes:
        try:
            return self.sock.recv(65536)
        except ConnectionResetError:
            return b""

    def _reap(self) -> None:
        if self.pid:
            try:
                os.waitpid(self.pid, 0)          # the intermediate: exits once detached
            except ChildProcessError:
                pass
            self.pid = 0

    def frames(self):
        """(kind, payload) until the shim closes the connection."""
        import struct
        head = struct.Struct(">BI")
        while True:
            while len(self.buf) < head.size or \
                    len(self.buf) < head.size + head.unpack_from(self.buf)[1]:
                chunk = self._recv()
                if not chunk:
                    return
                self.buf += chunk
            kind, size = head.unpack_from(self.buf)
            payload = self.buf[head.size:head.size + size]
            self.buf = self.buf[head.size + size:]
            yield kind, payload

    def close(self) -> None:
        """Dismiss the shim (before go(): it exits without doing anything)."""
        self.sock.close()
        self._reap()
