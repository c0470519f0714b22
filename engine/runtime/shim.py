"""The per-container shim: a small detached process, parent of the container's PID 1.

    python -S -m engine.runtime.shim <container id> <root> <runroot> <ready fd>

Double-forks and setsid()s away from the CLI, becomes a child subreaper, then: starts the
container (engine.runtime.process.spawn) with its stdio on pipes (or a pty), writes the
output as json-file logs, serves attach clients on <run dir>/attach.sock, records the
state (pid + start time, exit code, OOMKilled from the cgroup counter, health) atomically in
<container dir>/state.json, applies the restart policy with back-off, runs healthchecks in
the container's namespaces, and on the final exit tears down the cgroup and the network
sandbox. Reports "ok"/errors to the starter over <ready fd>.

Keep imports minimal (RSS budget ≤ 13 MB): no engine.types, no typing machinery.
"""
from __future__ import annotations

import errno
import json
import os
import select
import signal
import socket
import struct
import sys
import time

from . import logfile, process, syscalls as sc
from .shimstate import HIDDEN_CONFIG, StateFile, boot_id, proc_start_time, unix_call
from .health import HealthRunner

FRAME = struct.Struct(">BI")
STDOUT, STDERR, EXIT, REMOVED = 1, 2, 3, 4
IN_DATA, IN_EOF, IN_RESIZE = 0, 1, 2


class Shim:
    def __init__(self, cid: str, root: str, runroot: str, plan: dict | None = None,
                 sink=None, client=None):
        self.cid = cid
        self.run_dir = os.path.join(runroot, "containers", cid)
        self.cdir = os.path.join(root, "containers", cid)
        self.root, self.runroot = root, runroot
        self.sink = sink                 # inline mode: callable(stream name, bytes)
        if plan is None:
            with open(os.path.join(self.run_dir, "plan.json")) as f:
                plan = json.load(f)
        self.plan = plan
        self.conf = self.plan["shim"]
        self.state = StateFile(os.path.join(self.cdir, "state.json"),
                               os.path.join(root, "locks", f"container-{cid}.lock"))
        log = self.conf.get("log") or {}
        self.logs = None
        if log.get("driver", "json-file") in ("json-file", "local"):
            self.logs = logfile.JsonLogWriter(os.path.join(self.cdir, f"{cid}-json.log"),
                                              log.get("max_size", -1), log.get("max_file", 1))
        self.clients: list[socket.socket] = [client] if client is not None else []
        self.listener = None
        self.stdin_w = -1
        self.stdin_pending = b""
        self.outputs: dict[int, int] = {}
        self.pid1 = 0
        self.exit_status = None
        self.restarts = int(self.state.read().get("restart_count", 0))
        self.health = None

    # ------------------------------------------------------------------ one run of PID 1
    def launch(self):
        """Start PID 1. Returns None or (code, message) if it could not be started."""
        stdio, child_ends = self._stdio()
        console = None
        if self.plan["runtime"].get("tty"):
            console = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.oom_base = self._oom_kills()
        _inter, pid1, error = process.spawn(self.plan["runtime"], stdio,
                                            console=console[1].fileno() if console else -1)
        for fd in child_ends:
            os.close(fd)
        if console is not None:
            console[1].close()
            if error is None:
                self._take_console(console[0])
            console[0].close()
        if error is not None:
            return error
        self.pid1 = pid1
        self.exit_status = None
        self.started_mono = time.monotonic()
        self.state.update(status="running", running=True, pid=pid1,
                          pid_start=proc_start_time(pid1), shim_pid=os.getpid(),
                          shim_start=proc_start_time(os.getpid()), exit_code=0, error="",
                          started_at=logfile.timestamp(), finished_at="", oom_killed=False,
                          restart_count=self.restarts, boot_id=boot_id())
        hc = self.conf.get("healthcheck")
        if hc:
            self.health = HealthRunner(hc, self.plan, self.state)
        return None

    def _stdio(self):
        if self.plan["runtime"].get("tty"):
            null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
            return (null, null, null), [null]       # replaced by the container's own pty
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        for fd in (out_r, err_r):
            os.set_blocking(fd, False)   # a process outliving PID 1 must not block the shim
        self.outputs = {out_r: STDOUT, err_r: STDERR}
        if self.conf.get("stdin_open"):
            in_r, self.stdin_w = os.pipe()
            os.set_blocking(self.stdin_w, False)
        else:
            in_r = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        return (in_r, out_w, err_w), [in_r, out_w, err_w]

    def _take_console(self, sock) -> None:
        """The pty master PID 1 opened in the container's devpts (runc's console socket)."""
        _msg, fds, _flags, _addr = socket.recv_fds(sock, 16, 1)
        master = fds[0]
        os.set_inheritable(master, False)
        os.set_blocking(master, False)
        self._resize(b"24 80", master)
        self.outputs = {master: STDOUT}
        self.stdin_w = os.dup(master) if self.conf.get("stdin_open") else -1

    def _oom_kills(self) -> int:
        path = self.conf.get("oom_file", "")
        try:
            with open(path) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            pass
        return 0

    # ------------------------------------------------------------------ the event loop
    def serve(self) -> None:
        """Pump output, attach clients and healthchecks until PID 1 has exited."""
        pid1_dead_at = None
        while True:
            if self.exit_status is not None and (not self.outputs or
                                                 time.monotonic() - pid1_dead_at > 1.0):
                return
            timeout = 0.5
            if self.health is not None:
                timeout = max(0.0, min(timeout, self.health.next_due() - time.monotonic()))
            rlist = [self.wake_r] + list(self.outputs) + self.clients
            rlist += [self.listener] if self.listener else []
            rlist += self.health.fds() if self.health else []
            wlist = [self.stdin_w] if self.stdin_pending and self.stdin_w >= 0 else []
            try:
                ready, writable, _ = select.select(rlist, wlist, [], timeout)
            except InterruptedError:
                continue
            for fd in ready:
                self._readable(fd)
            if writable:
                self._flush_stdin()
            self._reap()
            if self.exit_status is not None and pid1_dead_at is None:
                pid1_dead_at = time.monotonic()
            if self.health is not None and self.exit_status is None:
                self.health.tick(self.pid1, paused=self._paused())

    def _paused(self) -> bool:
        path = self.conf.get("freezer_file", "")
        if not path:
            return False
        try:
            with open(path) as f:
                return f.read().strip() in ("FROZEN", "1")
        except OSError:
            return False

    def _readable(self, fd) -> None:
        if fd == self.wake_r:
            try:
                os.read(self.wake_r, 512)
            except OSError:
                pass
        elif fd in self.outputs:
            self._pump(fd)
        elif fd is self.listener:
            self._accept()
        elif isinstance(fd, socket.socket):
            self._client_input(fd)
        elif self.health is not None:
            self.health.readable(fd)

    def _pump(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError as e:
            data = b"" if e.errno in (errno.EIO, errno.EBADF) else None
            if data is None:
                return
        stream = self.outputs[fd]
        if not data:
            os.close(fd)
            del self.outputs[fd]
            return
        name = "stdout" if stream == STDOUT else "stderr"
        if self.logs is not None:
            self.logs.write(name, data)
        if self.sink is not None:
            self.sink(name, data)
        self._broadcast(stream, data)

    def _broadcast(self, stream: int, data: bytes) -> None:
        frame = FRAME.pack(stream, len(data)) + data
        for client in list(self.clients):
            try:
                client.sendall(frame)
            except OSError:
                self._drop(client)

    def _accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        conn.settimeout(2.0)
        self.clients.append(conn)

    def _drop(self, client) -> None:
        if client in self.clients:
            self.clients.remove(client)
        client.close()

    def _client_input(self, client) -> None:
        try:
            header = client.recv(FRAME.size, socket.MSG_WAITALL)
            if len(header) < FRAME.size:
                raise OSError("closed")
            kind, size = FRAME.unpack(header)
            payload = client.recv(size, socket.MSG_WAITALL) if size else b""
        except OSError:
            self._drop(client)
            return
        if kind == IN_DATA and self.stdin_w >= 0:
            self.stdin_pending += payload
            self._flush_stdin()
        elif kind == IN_EOF and self.stdin_w >= 0 and not self.plan["runtime"].get("tty"):
            self._flush_stdin(blocking=True)
            os.close(self.stdin_w)
            self.stdin_w = -1
        elif kind == IN_RESIZE and self.plan["runtime"].get("tty"):
            self._resize(payload)

    def _resize(self, payload: bytes, master: int = -1) -> None:
        import fcntl
        import termios
        try:
            rows, cols = (int(x) for x in payload.split())
            master = master if master >= 0 else next(iter(self.outputs))
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        except (ValueError, StopIteration, OSError):
            pass

    def _flush_stdin(self, blocking: bool = False) -> None:
        while self.stdin_pending and self.stdin_w >= 0:
            try:
                n = os.write(self.stdin_w, self.stdin_pending)
                self.stdin_pending = self.stdin_pending[n:]
            except BlockingIOError:
                if not blocking:
                    return
                time.sleep(0.01)
            except OSError:
                self.stdin_pending = b""

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.pid1:
                self.exit_status = status
            elif self.health is not None:
                self.health.reaped(pid, status)

    # ------------------------------------------------------------------ lifecycle
    def finish_run(self) -> int:
        status = self.exit_status
        code = (os.waitstatus_to_exitcode(status) if os.WIFEXITED(status)
                else 128 + os.WTERMSIG(status))
        for fd in list(self.outputs):
            for _ in range(64):          # drain what is buffered, never wait for more
                if fd not in self.outputs:
                    break
                self._pump(fd)
                if not _readable_now(fd):
                    break
            if fd in self.outputs:
                os.close(fd)
        self.outputs = {}
        if self.logs is not None:
            self.logs.flush_partial()
        oom = self._oom_kills() > self.oom_base
        if self.health is not None:
            self.health.stop()
            self.health = None
        if self.stdin_w >= 0:
            os.close(self.stdin_w)
            self.stdin_w = -1
        self.state.update(status="exited", running=False, exit_code=code, oom_killed=oom,
                          finished_at=logfile.timestamp(), pid=0)
        return code

    def should_restart(self, code: int) -> bool:
        if os.path.exists(os.path.join(self.run_dir, "stop-requested")):
            return False
        policy = self.conf.get("restart") or {}
        name, max_retries = policy.get("name", "no"), int(policy.get("max_retries") or 0)
        if name in ("always", "unless-stopped"):
            return True
        if name == "on-failure" and code != 0:
            return max_retries <= 0 or self.restarts < max_retries
        return False

    def backoff(self, delay: float) -> bool:
        """Sleep ``delay`` unless a stop is requested meanwhile. True = go on restarting."""
        self.state.update(status="restarting", restarting=True)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            if os.path.exists(os.path.join(self.run_dir, "stop-requested")):
                self.state.update(status="exited", restarting=False)
                return False
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        self.state.update(restarting=False)
        return True

    def run(self, ready_fd: int, on_started=None, report_sock=None) -> None:
        self.wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        self._listen()
        error = self.launch()
        if error is not None:
            self._record_failure(error)
        _report(ready_fd, error, self.pid1, report_sock)
        if on_started is not None:
            on_started(error, self.pid1)
        delay = 0.1
        while error is None:
            self.serve()
            code = self.finish_run()
            if not self.should_restart(code):
                break
            ran = time.monotonic() - self.started_mono
            delay = 0.1 if ran >= 10 else min(delay * 2, 60.0) if self.restarts else 0.1
            if not self.backoff(delay):
                break
            self.restarts += 1
            error = self.launch()
        if error is not None:
            self._record_failure(error)
            self._broadcast(STDERR, (error[1] + "\n").encode())
        code = self.state.read().get("exit_code", 0)
        self._broadcast(EXIT, str(code).encode())
        self.finalize()

    def _record_failure(self, error) -> None:
        self.state.update(status="exited", running=False, exit_code=error[0], error=error[1],
                          finished_at=logfile.timestamp(), pid=0)

    def _listen(self) -> None:
        path = os.path.join(self.run_dir, "attach.sock")
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix_call(sock, "bind", path)
        sock.listen(16)
        self.listener = sock

    def finalize(self) -> None:
        """The container stopped for good: release runtime resources."""
        if self.logs is not None:
            self.logs.close()
        auto_remove = bool(self.conf.get("auto_remove"))
        if auto_remove:
            # gone for every reader (ls, inspect, names) before the slow release below, so a
            # foreground `run --rm` returns as soon as its container has disappeared
            hide_config(self.cdir)
            self._broadcast(REMOVED, b"")
        for client in list(self.clients):
            self._drop(client)
        from .cleanup import release_runtime
        problems = release_runtime(self.root, self.runroot, self.cid, self.plan)
        if not problems and os.path.isdir(self.cdir):
            self.state.update(released=True)
        if auto_remove:
            release_runtime(self.root, self.runroot, self.cid, None, auto_remove=True)


def _readable_now(fd: int) -> bool:
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return False


def hide_config(cdir: str) -> None:
    """config.json -> HIDDEN_CONFIG: the container leaves every listing and lookup at once
    (the store only sees directories with a config.json); the removal finishes later."""
    try:
        os.replace(os.path.join(cdir, "config.json"), os.path.join(cdir, HIDDEN_CONFIG))
    except OSError:
        pass


_REPORTED_ON = set()


def _report(fd: int, error, pid1: int, sock=None) -> None:
    msg = {"ok": error is None, "pid": pid1}
    if error is not None:
        msg.update(code=error[0], error=error[1])
    if sock is not None and id(sock) not in _REPORTED_ON:   # one report, then only frames
        _REPORTED_ON.add(id(sock))
        try:
            sock.sendall(json.dumps(msg).encode() + b"\n")
        except OSError:
            pass
    if fd < 0:
        return
    try:
        os.write(fd, json.dumps(msg).encode() + b"\n")
    except OSError:
        pass
    try:
        os.close(fd)
    except OSError:
        pass


def _detach() -> None:
    if os.fork():
        os._exit(0)
    os.setsid()
    sc.prctl(sc.PR_SET_CHILD_SUBREAPER, 1)
    sc.set_name("pycompose-shim")
    os.chdir("/")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _read_line(sock) -> bytes:
    line = b""
    while not line.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            return b""
        line += chunk
    return line


def standby_main(argv: list[str]) -> None:
    """``--standby <root> <runroot> <socket fd>``: started before the container exists (its
    interpreter start overlaps the CLI's work); reads the container id from the socket, then
    reports on it and keeps it as its first attach client (output from the first byte)."""
    root, runroot, fd = argv[0], argv[1], int(argv[2])
    os.set_inheritable(fd, False)
    _detach()
    sock = socket.socket(fileno=fd)
    try:
        cid = _read_line(sock).decode().strip()
    except OSError:
        cid = ""
    sock.settimeout(2.0)                 # like attach clients: a stuck reader is dropped
    if not cid:
        os._exit(0)                      # the CLI gave up before the start
    _serve_container(cid, root, runroot, -1, sock)


def main(argv: list[str]) -> None:
    if argv[0] == "--standby":
        standby_main(argv[1:])
    cid, root, runroot, ready = argv[0], argv[1], argv[2], int(argv[3])
    os.set_inheritable(ready, False)
    _detach()
    _serve_container(cid, root, runroot, ready, None)


def _serve_container(cid: str, root: str, runroot: str, ready: int, sock) -> None:
    try:
        Shim(cid, root, runroot, client=sock).run(ready, report_sock=sock)
    except BaseException as e:  # noqa: BLE001 - leave a trace for `inspect`
        try:
            StateFile(os.path.join(root, "containers", cid, "state.json"),
                      os.path.join(root, "locks", f"container-{cid}.lock")).update(
                error=f"shim: {e!r}")
        except Exception:  # noqa: BLE001
            pass
        _report(ready, (125, f"shim failed: {e!r}"), 0, sock)
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
