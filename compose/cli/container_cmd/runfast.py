"""`container run` without typer: the core of the command (also behind `runcmd.run`), so the
fast path (fast.py) can run it without importing typer or building the CLI app."""
from __future__ import annotations

import os
import signal
import sys
import threading


def run_argv(args: list[str], make_engine, echo=None) -> int:
    """`container run ARGS` -> exit code (typer-free: also used by the fast path, fast.py)."""
    from .args import build_parser, to_spec
    ns = build_parser("pycompose container run", run=True).parse_args(args)
    eng = make_engine()
    if not (ns.detach or ns.interactive or ns.tty):
        return _run_foreground(eng, ns, to_spec)
    spec = to_spec(ns)
    info = _with_docker_codes(lambda: eng.containers.create(spec, auto_remove=ns.rm and ns.detach))
    if ns.detach:
        _with_docker_codes(lambda: eng.containers.start(info.id))
        (echo or _echo)(info.id)
        return 0
    try:
        _with_docker_codes(lambda: eng.containers.start(info.id))
        code = stream_until_exit(eng, info.id, ns.interactive, tty=ns.tty)
    except BaseException:
        if ns.rm:
            _remove_quietly(eng, info.id)
        raise
    if ns.rm:
        _remove_quietly(eng, info.id)
    return code


def _run_foreground(eng, ns, to_spec) -> int:
    """Foreground run without -i/-t: a detached shim started first thing (its interpreter
    start overlaps create), this process relays its output frames. The shim owns the
    container, so killing this process loses neither the output (json log) nor the exit
    record; with --rm the shim removes the container and says so (frame 4) before its slow
    release (cgroup, network, rootfs), which this process does not wait for."""
    from engine.runtime.launch import StandbyShim
    standby = StandbyShim(eng.layout)
    try:
        spec = to_spec(ns)
        info = _with_docker_codes(lambda: eng.containers.create(spec, auto_remove=ns.rm))
    except BaseException:
        standby.close()
        raise
    try:
        try:
            _with_docker_codes(lambda: eng.containers.start(info.id, standby=standby))
        except BaseException:
            if ns.rm:
                _drain(standby)
                _remove_quietly(eng, info.id)
            raise
        _forward_signals(standby.report.get("pid", 0))
        code = _relay(standby, ns.rm)
    finally:
        standby.close()
    if code is None:                        # the shim died: take the record from the store
        code = _settled_code(eng, info.id)
    if ns.rm:
        _remove_quietly(eng, info.id)       # no-op unless the shim could not do it
    return code


def _relay(standby, rm: bool):
    """Copy output frames to fd 1/2 until the exit code (and with ``rm`` the removal)."""
    code = None
    for kind, data in standby.frames():
        if kind in (1, 2):
            _write_fd(kind, data)
        elif kind == 3:
            code = int(data or b"0")
            if not rm:
                break
        elif kind == 4:
            break
    return code


def _drain(standby) -> None:
    for kind, _data in standby.frames():
        if kind == 4:
            return


def _write_fd(fd: int, data: bytes) -> None:
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:
        pass


def _forward_signals(pid1: int) -> None:
    def forward(signum, _frame):
        try:
            os.kill(pid1, signum)
        except OSError:
            pass
    if pid1:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, forward)


def _settled_code(eng, cid: str) -> int:
    from engine.errors import EngineError
    try:
        return eng.containers.wait(cid, timeout=10)
    except EngineError:
        return 255


def _echo(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _with_docker_codes(fn):
    """docker run/create: engine errors exit 125 unless the command itself failed (126/127)."""
    from engine.errors import EngineError
    try:
        return fn()
    except EngineError as e:
        if getattr(e, "exit_code", 1) not in (126, 127):
            e.exit_code = 125
        raise


def run_inline(eng, cid: str) -> int:
    """Foreground run without -i/-t: this process is the container's shim."""
    out, err = sys.stdout.buffer, sys.stderr.buffer

    def on_output(stream: str, data: bytes) -> None:
        target = out if stream == "stdout" else err
        try:
            target.write(data)
            target.flush()
        except OSError:
            pass

    def on_started(pid1: int) -> None:
        def forward(signum, _frame):
            try:
                os.kill(pid1, signum)
            except OSError:
                pass
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, forward)

    return eng.containers.run_attached(cid, on_output, on_started)


def _remove_quietly(eng, cid: str) -> None:
    from engine.errors import EngineError
    try:
        eng.containers.remove(cid, force=True, volumes=True)
    except EngineError:
        pass


def stream_until_exit(eng, cid: str, interactive: bool, tty: bool = False) -> int:
    """Print the container's output (from its log, so nothing is missed), feed stdin when
    interactive, forward SIGINT/SIGTERM to it (docker's sig-proxy); -> exit code."""
    raw_mode = None
    if tty and sys.stdout.isatty():
        size = os.get_terminal_size(sys.stdout.fileno())
        eng.containers.resize(cid, size.lines, size.columns)
    if interactive:
        if tty and sys.stdin.isatty():
            raw_mode = _raw_terminal()
        threading.Thread(target=_attach_stdin, args=(eng, cid), daemon=True).start()
    if not tty:
        def forward(signum, _frame):
            try:
                eng.containers.kill(cid, signum)
            except Exception:  # noqa: BLE001 - it may have exited meanwhile
                pass
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, forward)
    out, err = sys.stdout.buffer, sys.stderr.buffer
    try:
        from engine.errors import InvalidArgument
        try:
            for stream, _ts, data in eng.containers.logs(cid, follow=True):
                target = out if stream == "stdout" else err
                target.write(data)
                target.flush()
        except InvalidArgument:
            pass                       # log driver "none"
        return eng.containers.wait(cid)
    finally:
        if raw_mode is not None:
            import termios
            termios.tcsetattr(0, termios.TCSADRAIN, raw_mode)


def _attach_stdin(eng, cid: str) -> None:
    import socket
    import struct
    frame = struct.Struct(">BI")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        from engine.runtime.shimstate import unix_call
        unix_call(sock, "connect", str(eng.layout.container_run_dir(cid) / "attach.sock"))
        while True:
            data = os.read(0, 65536)
            if not data:
                break
            sock.sendall(frame.pack(0, len(data)) + data)
        sock.sendall(frame.pack(1, 0))
        sock.recv(1)
    except OSError:
        pass
    finally:
        sock.close()


def _raw_terminal():
    import termios
    import tty as ttymod
    saved = termios.tcgetattr(0)
    ttymod.setraw(0)
    return saved


