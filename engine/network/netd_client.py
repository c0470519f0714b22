"""Talking to netd (see netd.py): send a request with fds, start netd on demand."""
from __future__ import annotations

import _socket as socket        # the C module: socket.py's enum setup costs ~7 ms
import os
import sys

from ..errors import NetworkError
from ..layout import dumps, loads   # json's, without importing the json package (and re)
from ..locks import flock

# ``sock_path``: a str or a pathlib.Path (engine.layout.Paths / Layout .netd_socket).


def _project_root() -> str:
    import engine
    return os.path.dirname(os.path.dirname(os.path.realpath(engine.__file__)))


def _sibling(sock_path, suffix: str) -> str:
    """Path(sock_path).with_suffix(suffix) as a string."""
    return os.path.splitext(os.fspath(sock_path))[0] + suffix


def _send_fds(sock, buffers: list, fds: list) -> None:
    """socket.send_fds for a _socket.socket."""
    import struct                       # not array: it pulls in collections (~4 ms)
    sock.sendmsg(buffers, [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                            struct.pack(f"{len(fds)}i", *fds))])


def request(sock_path: Path, msg: dict, fds: list[int] = (), *, start: bool = True,
            lock_path: Path | None = None, on_start=None) -> dict | None:
    """Send ``msg`` (+ fds) to netd. Starts netd when it is not running and ``start`` is true
    (then calls ``on_start()`` afterwards, so it can re-register live sandboxes). Returns the
    reply, or None when netd is not running and ``start`` is false.

    Starting does not wait for the new interpreter: the control socket is bound and listening
    here and inherited by netd (clients queue in its backlog meanwhile), and an ``add`` is
    handed over with the spawn itself (its fds inherited) - so the caller goes on at once
    instead of waiting ~0.1-0.3 s for Python to start and import."""
    for attempt in range(3):
        reply = _try_send(sock_path, msg, fds)
        if reply is not None:
            if not reply.get("ok"):
                raise NetworkError(f"network helper refused {msg.get('op')}: {reply.get('error')}")
            return reply
        if not start:
            return None
        with flock(lock_path or _sibling(sock_path, ".lock"), timeout=30, what="netd start"):
            if _try_send(sock_path, {"op": "ping"}, ()) is None:
                first = msg.get("op") == "add"
                _spawn(sock_path, msg if first else None, list(fds) if first else [])
                if on_start:
                    on_start()
                if first:
                    return {"ok": True, "started": True}
    raise NetworkError(f"cannot reach the network helper at {sock_path}")


def _try_send(sock_path: Path, msg: dict, fds) -> dict | None:
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.settimeout(10)
            s.connect(os.fspath(sock_path))
            _send_fds(s, [dumps(msg).encode() + b"\n"], list(fds))
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    return None
                data += chunk
            return loads(data)
        finally:
            s.close()
    except (ConnectionRefusedError, FileNotFoundError, ConnectionResetError, BrokenPipeError):
        return None
    except TimeoutError as e:                  # socket.timeout
        raise NetworkError(f"the network helper at {sock_path} did not answer "
                           f"(see {_sibling(sock_path, '.log')})") from e
    except OSError as e:
        raise NetworkError(f"talking to the network helper at {sock_path} failed: {e}") from e


def _listen(sock_path):
    """The control socket, bound and listening before netd runs (a stale file of a killed
    netd is replaced: we hold the start lock and nobody answered on it)."""
    try:
        os.unlink(sock_path)
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(os.fspath(sock_path))
        listener.listen(128)
    except OSError as e:
        listener.close()
        raise NetworkError(f"cannot create the network helper's socket {sock_path}: "
                           f"{e.strerror}") from e
    return listener


def _spawn(sock_path: Path, first: dict | None = None, fds: list[int] = ()) -> None:
    """Start netd detached (``setsid -f``: not our child, own session) on an inherited,
    already listening control socket; ``first`` (an ``add``) is registered from inherited fds.
    -I -S: no site-packages / .pth processing; netd needs only the standard library and the
    engine package."""
    import subprocess                     # only when netd has to be started
    listener = _listen(sock_path)
    log = open(_sibling(sock_path, ".log"), "ab")
    args = [os.fspath(sock_path), "--listen-fd", str(listener.fileno())]
    if first is not None:
        args += ["--first", dumps(first), "--fds", ",".join(str(fd) for fd in fds)]
    code = (f"import sys; sys.path.insert(0, {_project_root()!r}); "
            f"from engine.network.netd import main; sys.exit(main({args!r}))")
    try:
        proc = subprocess.run(["setsid", "-f", sys.executable, "-I", "-S", "-c", code],
                              stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd="/",
                              close_fds=True, pass_fds=[listener.fileno(), *fds], check=False)
    except OSError as e:
        os.unlink(sock_path)
        raise NetworkError(f"cannot start the network helper: {e.strerror}") from e
    finally:
        log.close()
        listener.close()
    if proc.returncode != 0:
        raise NetworkError(f"the network helper did not start (see {_sibling(sock_path, '.log')})")
