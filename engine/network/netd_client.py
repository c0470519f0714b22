"""Talking to netd (see netd.py): send a request with fds, start netd on demand."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from ..errors import NetworkError
from ..locks import flock

START_TIMEOUT = 5.0


def _project_root() -> str:
    import engine
    return str(Path(engine.__file__).resolve().parent.parent)


def request(sock_path: Path, msg: dict, fds: list[int] = (), *, start: bool = True,
            lock_path: Path | None = None, on_start=None) -> dict | None:
    """Send ``msg`` (+ fds) to netd. Starts netd when it is not running and ``start`` is true
    (then calls ``on_start()`` first, so it can re-register live sandboxes). Returns the reply,
    or None when netd is not running and ``start`` is false."""
    for attempt in range(3):
        reply = _try_send(sock_path, msg, fds)
        if reply is not None:
            if not reply.get("ok"):
                raise NetworkError(f"network helper refused {msg.get('op')}: {reply.get('error')}")
            return reply
        if not start:
            return None
        with flock(lock_path or sock_path.with_suffix(".lock"), timeout=30, what="netd start"):
            if _try_send(sock_path, {"op": "ping"}, ()) is None:
                _spawn(sock_path)
                if on_start:
                    on_start()
    raise NetworkError(f"cannot reach the network helper at {sock_path}")


def _try_send(sock_path: Path, msg: dict, fds) -> dict | None:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(str(sock_path))
            socket.send_fds(s, [json.dumps(msg).encode() + b"\n"], list(fds))
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    return None
                data += chunk
            return json.loads(data)
    except (ConnectionRefusedError, FileNotFoundError, ConnectionResetError, BrokenPipeError):
        return None
    except OSError as e:
        raise NetworkError(f"talking to the network helper at {sock_path} failed: {e}") from e


def _spawn(sock_path: Path) -> None:
    log = open(sock_path.with_suffix(".log"), "ab")
    try:
        # setsid -f: netd is not our child (no zombie in long-lived callers), own session.
        # -I -S: no site-packages / .pth processing (a third of a second saved on start);
        # netd needs only the standard library and the engine package.
        code = (f"import sys; sys.path.insert(0, {_project_root()!r}); "
                f"from engine.network.netd import main; sys.exit(main([{str(sock_path)!r}]))")
        subprocess.run(["setsid", "-f", sys.executable, "-I", "-S", "-c", code],
                       stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd="/",
                       close_fds=True, check=False)
    finally:
        log.close()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if _try_send(sock_path, {"op": "ping"}, ()) is not None:
            return
        time.sleep(0.02)
    raise NetworkError(f"the network helper did not start (see {sock_path.with_suffix('.log')})")
