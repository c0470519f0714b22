"""`container create`, `container run` and `container exec` (docker's argument grammar)."""
from __future__ import annotations

import os
import sys

from compose.cli.ty import typer

from . import _engine
from .runfast import _raw_terminal, _with_docker_codes  # noqa: F401 - shared


def create(ctx: typer.Context):
    from .args import build_parser, to_spec
    ns = build_parser("pycompose container create", run=False).parse_args(ctx.args)
    eng = _engine(ctx)
    info = _with_docker_codes(lambda: eng.containers.create(to_spec(ns)))
    typer.echo(info.id)


def run(ctx: typer.Context):
    from .runfast import run_argv
    code = run_argv(ctx.args, lambda: _engine(ctx), typer.echo)
    raise typer.Exit(code)


def _exec_parser():
    import argparse
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
