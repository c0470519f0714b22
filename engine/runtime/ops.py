"""ContainerService operations on running (or stopped) containers: logs, exec, attach, top,
stats, cp, health, port. Mixed into ContainerService."""
from __future__ import annotations

import os
import re
import struct
import threading
import time
from typing import Iterator, Optional

from engine.errors import Conflict, InvalidArgument, NotFound, RuntimeFailure
from engine.layout import read_json
from engine.types import ExecSpec

from . import logfile
from .shimstate import unix_call

FRAME = struct.Struct(">BI")
STREAMS = {1: "stdout", 2: "stderr"}


def parse_when(value, now: float | None = None) -> Optional[float]:
    """since/until: epoch number, RFC 3339, or a relative duration ("10m", "1h30m", "5s")."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    match = re.fullmatch(r"((\d+(\.\d+)?)(h|m|s|ms))+", text)
    if match:
        secs = 0.0
        for num, _frac, unit in re.findall(r"(\d+(\.\d+)?)(ms|h|m|s)", text):
            secs += float(num) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
        return (now or time.time()) - secs
    try:
        return logfile.parse_time(text)
    except ValueError:
        raise InvalidArgument(f"invalid time value {value!r} (use RFC 3339, a unix "
                              f"timestamp or a duration like 10m)") from None


def _fileno(obj, default: int):
    if obj is None:
        return default
    if isinstance(obj, int):
        return obj
    if hasattr(obj, "fileno"):
        try:
            return obj.fileno()
        except (OSError, ValueError):
            return None
    return None


class OpsMixin:
    # ------------------------------------------------------------------ logs
    def logs(self, id: str, follow: bool = False, since=None, until=None,
             tail: Optional[int] = None, timestamps: bool = False
             ) -> Iterator[tuple[str, str, bytes]]:
        cid = self.store.resolve(id)
        cfg = self.store.load_config(cid)
        if cfg["log"]["driver"] == "none":
            raise InvalidArgument('configured logging driver does not support reading')
        path = self.store.log_path(cid)
        t_since, t_until = parse_when(since), parse_when(until)
        return self._log_iter(cid, path, follow, t_since, t_until, tail)

    def _log_iter(self, cid, path, follow, t_since, t_until, tail):
        entries = list(logfile.read_entries(path)) if tail is not None else None
        if entries is not None:
            entries = [e for e in entries if _in_window(e[1], t_since, t_until)]
            source = iter(entries[-tail:] if tail > 0 else [] if tail == 0 else entries)
        else:
            source = (e for e in logfile.read_entries(path) if _in_window(e[1], t_since, t_until))
        yield from source
        if not follow or (t_until is not None and t_until <= time.time()):
            return
        yield from self._follow(cid, path, t_until)

    def _follow(self, cid, path, t_until):
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            return
        f.seek(0, os.SEEK_END)
        ino = os.fstat(f.fileno()).st_ino
        buf = b""
        while True:
            chunk = f.read(65536)
            if chunk:
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for raw in lines:
                    entry = logfile.parse_line(raw + b"\n")
                    if entry is not None and _in_window(entry[1], None, t_until):
                        yield entry
                continue
            if t_until is not None and time.time() >= t_until:
                return
            try:
                if os.stat(path).st_ino != ino:
                    f.close()
                    f = open(path, "rb")
                    ino = os.fstat(f.fileno()).st_ino
                    continue
            except FileNotFoundError:
                pass
            st = self._recorded_state(cid) if self.store.config_path(cid).exists() else {}
            if st.get("status") not in ("running", "paused", "restarting"):
                rest = f.read()
                for raw in (buf + rest).split(b"\n"):
                    entry = logfile.parse_line(raw + b"\n") if raw else None
                    if entry is not None:
                        yield entry
                f.close()
                return
            time.sleep(0.05)

    # ------------------------------------------------------------------ exec
    def _running_state(self, cid: str) -> dict:
        st = self.store.live_state(cid)
        if st.get("status") == "paused":
            raise Conflict(f"Container {cid} is paused, unpause the container before exec")
        if not st.get("running"):
            raise Conflict(f"Container {cid} is not running")
        return st

    def exec(self, id: str, spec: ExecSpec, stdin=None, stdout=None, stderr=None) -> int:
        """Run ``spec.cmd`` in the container; stdio: None = inherit (stdin: only with
        ``spec.stdin``, else EOF like docker exec without -i), fd / file objects, stdin may be
        bytes, stdout/stderr may be callables receiving bytes."""
        cid = self.store.resolve(id)
        cfg = self.store.load_config(cid)
        st = self._running_state(cid)
        proc = _exec_process(cfg, spec)
        plan = read_json(self.layout.container_run_dir(cid) / "plan.json") or {}
        procs = (plan.get("runtime") or {}).get("cgroup_procs") or _procs_from_state(st)
        from . import nsexec
        if spec.detach:
            return _exec_detached(st["pid"], procs, proc)
        if stdin is None and not spec.stdin:
            stdin = b""                  # docker exec without -i: the command reads EOF
        if spec.tty:
            return _exec_tty(st["pid"], procs, proc, stdin, stdout, stderr)
        with _Stdio(stdin, stdout, stderr) as io:
            pid, error = nsexec.enter(st["pid"], procs, proc, io.fds)
            io.started()
            _, status = os.waitpid(pid, 0)
        if error is not None:
            io.report(error[1])
            return error[0]
        return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) \
            else 128 + os.WTERMSIG(status)

    # ------------------------------------------------------------------ attach
    def attach(self, id: str, stdin=None, stdout=None, stderr=None, logs: bool = False) -> int:
        """Stream the container's output (and feed stdin) until it exits; -> exit code."""
        cid = self.store.resolve(id)
        sock_path = self.layout.container_run_dir(cid) / "attach.sock"
        import socket
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            unix_call(sock, "connect", str(sock_path))
        except OSError:
            sock.close()
            raise Conflict(f"You cannot attach to a stopped container, start it first") from None
        if stdin is not None:
            threading.Thread(target=_feed_stdin, args=(sock, stdin), daemon=True).start()
        out_fd, err_fd = _fileno(stdout, 1), _fileno(stderr, 2)
        try:
            while True:
                header = _recv_exact(sock, FRAME.size)
                if not header:
                    break
                kind, size = FRAME.unpack(header)
                data = _recv_exact(sock, size) if size else b""
                if kind == 3:
                    break
                target = stdout if kind == 1 else stderr
                if callable(target):
                    target(data)
                else:
                    _write_all(out_fd if kind == 1 else err_fd, data)
        finally:
            sock.close()
        return self.wait(cid)

    def resize(self, id: str, rows: int, cols: int) -> None:
        cid = self.store.resolve(id)
        import socket
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            unix_call(sock, "connect", str(self.layout.container_run_dir(cid) / "attach.sock"))
            payload = f"{rows} {cols}".encode()
            sock.sendall(FRAME.pack(2, len(payload)) + payload)
        except OSError:
            pass
        finally:
            sock.close()

    # ------------------------------------------------------------------ top / stats / health
    def top(self, id: str) -> dict:
        cid = self.store.resolve(id)
        st = self.store.live_state(cid)
        if not st.get("running"):
            raise Conflict(f"Container {cid} is not running")
        from .procinfo import process_table
        return process_table(_cgroup_pids(st, st["pid"]))

    def stats(self, id: str) -> dict:
        cid = self.store.resolve(id)
        cfg = self.store.load_config(cid)
        st = self.store.live_state(cid)
        from .procinfo import container_stats
        return container_stats(cid, cfg["name"], st)

    def stats_sample(self, id: str) -> dict:
        """Raw counters of one container now; ``procinfo.stats_from(earlier, later)`` makes
        the docker stats figures (streaming ``stats`` samples once per refresh)."""
        cid = self.store.resolve(id)
        cfg = self.store.load_config(cid)
        st = self.store.live_state(cid)
        from .procinfo import sample
        return sample(cid, cfg["name"], st)

    def health(self, id: str):
        return self.inspect(id).state.health

    def port(self, id: str) -> list:
        return list(self.inspect(id).ports)

    # ------------------------------------------------------------------ cp
    def copy_to(self, id: str, src: str, dest: str) -> None:
        from .copy import copy_into
        cid = self.store.resolve(id)
        copy_into(self, cid, src, dest)

    def copy_from(self, id: str, src: str, dest: str) -> None:
        from .copy import copy_out
        cid = self.store.resolve(id)
        copy_out(self, cid, src, dest)


def _exec_detached(pid1: int, procs, proc: dict) -> int:
    """exec -d: start the command with /dev/null stdio and return 0 once it runs."""
    from . import nsexec
    null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    try:
        pid, error = nsexec.enter(pid1, procs, proc, (null, null, null))
    finally:
        os.close(null)
    if error is not None:
        os.waitpid(pid, 0)
        return error[0]
    threading.Thread(target=os.waitpid, args=(pid, 0), daemon=True).start()
    return 0


def _exec_tty(pid1: int, procs, proc: dict, stdin, stdout, stderr) -> int:
    """exec with a pty from the container's devpts; relay it to the caller's fds."""
    import select
    import socket
    from . import nsexec
    parent, child = socket.socketpair()
    proc = dict(proc, console_fd=child.fileno())
    null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    try:
        pid, error = nsexec.enter(pid1, procs, proc, (null, null, null))
    finally:
        os.close(null)
        child.close()
    in_fd = None if isinstance(stdin, (bytes, bytearray)) else _fileno(stdin, 0)
    out_fd = None if callable(stdout) else _fileno(stdout, 1)
    try:
        if error is not None:
            _, status = os.waitpid(pid, 0)
            _write_all(_fileno(stderr, 2) or 2, (error[1] + "\n").encode())
            return error[0]
        _msg, fds, _flags, _addr = socket.recv_fds(parent, 16, 1)
    finally:
        parent.close()
    master = fds[0]
    _copy_winsize(out_fd, master)
    sources = [master] + ([in_fd] if in_fd is not None else [])
    try:
        while master in sources:
            ready, _, _ = select.select(sources, [], [])
            for fd in ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    data = b""
                if fd == master:
                    if not data:
                        sources.remove(master)
                    elif callable(stdout):
                        stdout(data)
                    else:
                        _write_all(out_fd, data)
                elif data:
                    _write_all(master, data)
                else:
                    sources.remove(fd)
    finally:
        os.close(master)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) \
        else 128 + os.WTERMSIG(status)


def _copy_winsize(from_fd, master: int) -> None:
    import fcntl
    import termios
    size = struct.pack("HHHH", 24, 80, 0, 0)
    try:
        if from_fd is not None and os.isatty(from_fd):
            size = fcntl.ioctl(from_fd, termios.TIOCGWINSZ, size)
    except OSError:
        pass
    try:
        fcntl.ioctl(master, termios.TIOCSWINSZ, size)
    except OSError:
        pass


def _in_window(ts: str, since, until) -> bool:
    if since is None and until is None:
        return True
    try:
        t = logfile.parse_time(ts)
    except ValueError:
        return True
    return (since is None or t >= since) and (until is None or t <= until)


def _exec_process(cfg: dict, spec: ExecSpec) -> dict:
    base = cfg["process"]
    env = list(base["env"])
    for key, value in spec.env.items():
        env = [e for e in env if e.split("=", 1)[0] != key] + [f"{key}={value}"]
    proc = dict(base, argv=list(spec.cmd), env=env, tty=spec.tty,
                user=spec.user or base["user"], workdir=spec.working_dir or base["workdir"])
    if spec.privileged:
        from .caps import CAPS
        proc.update(caps=sorted(CAPS, key=CAPS.get), seccomp=False)
    return proc


def _procs_from_state(st: dict) -> list[str]:
    from .cleanup import cgroup_from_plan
    cg = cgroup_from_plan({"cgroup": st.get("cgroup")})
    return cg.procs_files() if cg is not None else []


def _cgroup_pids(st: dict, pid1: int) -> list[int]:
    from .cleanup import cgroup_from_plan
    cg = cgroup_from_plan({"cgroup": st.get("cgroup")})
    pids = cg.pids() if cg is not None else []
    return sorted(set(pids) | {pid1})


def _recv_exact(sock, n: int) -> bytes:
    """``n`` bytes, or b"" at end of stream. The shim closing the socket with stdin we sent
    still unread makes the kernel report ECONNRESET after its last frame: that is the end too."""
    buf = b""
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except ConnectionResetError:
            return b""
        if not chunk:
            return b""
        buf += chunk
    return buf


def _write_all(fd: int, data: bytes) -> None:
    while data:
        n = os.write(fd, data)
        data = data[n:]


def _feed_stdin(sock, stdin) -> None:
    fd = _fileno(stdin, 0)
    try:
        if isinstance(stdin, (bytes, bytearray)):
            sock.sendall(FRAME.pack(0, len(stdin)) + bytes(stdin))
        else:
            while True:
                data = os.read(fd, 65536)
                if not data:
                    break
                sock.sendall(FRAME.pack(0, len(data)) + data)
        sock.sendall(FRAME.pack(1, 0))
    except OSError:
        pass


class _Stdio:
    """Turn exec's stdin/stdout/stderr arguments into fds (pipes + threads when needed)."""

    def __init__(self, stdin, stdout, stderr):
        self.args = (stdin, stdout, stderr)
        self.fds: tuple = ()
        self.child_ends: list[int] = []
        self.threads: list[threading.Thread] = []

    def __enter__(self):
        fds = []
        for index, arg in enumerate(self.args):
            fd = _fileno(arg, index) if not callable(arg) and not isinstance(arg, (bytes, bytearray)) else None
            if fd is not None:
                fds.append(fd)
                continue
            r, w = os.pipe()
            if index == 0:
                fds.append(r)
                self.child_ends.append(r)
                self.threads.append(threading.Thread(target=_pump_in, args=(w, bytes(arg)), daemon=True))
            else:
                fds.append(w)
                self.child_ends.append(w)
                self.threads.append(threading.Thread(target=_pump_out, args=(r, arg), daemon=True))
        self.fds = tuple(fds)
        return self

    def started(self) -> None:
        for fd in self.child_ends:
            os.close(fd)
        self.child_ends = []
        for t in self.threads:
            t.start()

    def report(self, message: str) -> None:
        target = self.args[2]
        data = (message + "\n").encode()
        if callable(target):
            target(data)
        else:
            fd = _fileno(target, 2)
            if fd is not None:
                _write_all(fd, data)

    def __exit__(self, *exc):
        for fd in self.child_ends:
            os.close(fd)
        for t in self.threads:
            if t.is_alive() or t.ident:
                t.join(timeout=5)
        return False


def _pump_in(fd: int, data: bytes) -> None:
    try:
        _write_all(fd, data)
    except OSError:
        pass
    finally:
        os.close(fd)


def _pump_out(fd: int, callback) -> None:
    try:
        while True:
            data = os.read(fd, 65536)
            if not data:
                break
            callback(data)
    finally:
        os.close(fd)
