"""`container create`, `container run` and `container exec` (docker's argument grammar)."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

import typer

from . import _engine


def _with_docker_codes(fn):
    """docker run/create: engine errors exit 125 unless the command itself failed (126/127)."""
    from engine.errors import EngineError
    try:
        return fn()
    except EngineError as e:
        if getattr(e, "exit_code", 1) not in (126, 127):
            e.exit_code = 125
        raise


def create(ctx: typer.Context):
    from .args import build_parser, to_spec
    ns = build_parser("pycompose container create", run=False).parse_args(ctx.args)
    eng = _engine(ctx)
    info = _with_docker_codes(lambda: eng.containers.create(to_spec(ns)))
    typer.echo(info.id)


def run(ctx: typer.Context):
    from .args import build_parser, to_spec
    ns = build_parser("pycompose container run", run=True).parse_args(ctx.args)
    eng = _engine(ctx)
    spec = to_spec(ns)
    info = _with_docker_codes(lambda: eng.containers.create(spec, auto_remove=ns.rm and ns.detach))
    if ns.detach:
        _with_docker_codes(lambda: eng.containers.start(info.id))
        typer.echo(info.id)
        return
    try:
        if ns.interactive or ns.tty:
            _with_docker_codes(lambda: eng.containers.start(info.id))
            code = stream_until_exit(eng, info.id, ns.interactive, tty=ns.tty)
        else:
            code = _with_docker_codes(lambda: run_inline(eng, info.id))
    except BaseException:
        if ns.rm:
            _remove_quietly(eng, info.id)
        raise
    if ns.rm:
        _remove_quietly(eng, info.id)
    raise typer.Exit(code)


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


def _exec_parser():
    from .args import _Parser
    p = _Parser(prog="pycompose container exec", add_help=False,
                usage="pycompose container exec [OPTIONS] CONTAINER COMMAND [ARG...]")
    a = p.add_argument
    a("--help", action="help", help="Print usage")
    a("-d", "--detach", action="store_true", help="Detached mode: run command in the background")
    a("-i", "--interactive", action="store_true", help="Keep STDIN open even if not attached")
    a("-t", "--tty", action="store_true", help="Allocate a pseudo-TTY")
    a("-e", "--env", action="append", default=[], help="Set environment variables")
    a("-u", "--user", default="", help="Username or UID (format: <name|uid>[:<group|gid>])")
    a("-w", "--workdir", default="", help="Working directory inside the container")
    a("--privileged", action="store_true", help="Give extended privileges to the command")
    a("container")
    a("command", nargs=argparse.REMAINDER)
    return p


def exec_(ctx: typer.Context):
    from compose.errors import UsageError
    from engine.types import ExecSpec
    from .args import _kv_list
    ns = _exec_parser().parse_args(ctx.args)
    if not ns.command:
        raise UsageError("pycompose container exec requires at least 2 arguments")
    spec = ExecSpec(cmd=tuple(ns.command), env=_kv_list(ns.env, "env"), user=ns.user,
                    working_dir=ns.workdir, tty=ns.tty, stdin=ns.interactive,
                    privileged=ns.privileged, detach=ns.detach)
    eng = _engine(ctx)
    null = None
    if not ns.interactive:
        null = os.open(os.devnull, os.O_RDONLY)
    if ns.detach:
        raise typer.Exit(eng.containers.exec(ns.container, spec))
    raw_mode = _raw_terminal() if ns.tty and ns.interactive and sys.stdin.isatty() else None
    try:
        code = eng.containers.exec(ns.container, spec, stdin=null)
    finally:
        if raw_mode is not None:
            import termios
            termios.tcsetattr(0, termios.TCSADRAIN, raw_mode)
    raise typer.Exit(code)
