"""Fast runner for the conformance harness: import pycompose once, fork per case.

`python -m compose ...` costs ~2 s of CPU in imports on this machine; 260 cases would take
minutes. Instead the test process imports the CLI and loader once and forks a child per case.
The child gets exactly what a fresh `python -m compose` would see: its own process, the case's
cwd, the clean environment, stdin/stdout/stderr on real file descriptors, and the same entry
point (compose.cli.main.run); an uncaught exception prints a traceback as the interpreter would.
Set CONFORMANCE_MODE=subprocess to run real `python -m compose` subprocesses instead."""
from __future__ import annotations

import importlib
import io
import os
import pkgutil
import signal
import subprocess
import sys
import tempfile
import traceback

from tests.conformance import harness


def preload() -> None:
    """Import the modules a `config` run needs, so forked children start warm."""
    for name in ("compose.cli.main", "compose.cli.app", "compose.cli.config_cmd", "yaml", "jsonschema",
                 "networkx", "typer", "typer.main", "typer.core", "typer._adapters", "typer._coercion"):
        _try_import(name)
    _warm_cli()
    loader = _try_import("compose.loader")
    if loader is not None and hasattr(loader, "__path__"):
        for info in pkgutil.iter_modules(loader.__path__):
            _try_import(f"compose.loader.{info.name}")


def _warm_cli() -> None:
    """Build the click command tree once (imports the command modules, like a real run)."""
    try:
        import typer.main

        from compose.cli.app import build_app

        typer.main.get_command(build_app())
    except Exception:
        pass
    try:
        import schemas

        schemas.load("compose-spec.json")
    except Exception:
        pass


def _try_import(name: str):
    try:
        return importlib.import_module(name)
    except Exception:  # a module mid-work elsewhere must not break the whole suite
        return None


def run_forked(case: harness.Case) -> subprocess.CompletedProcess:
    """Run `config` for ``case`` in a forked child; same result shape as subprocess.run."""
    argv = harness.command_line(case, [])
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(case, argv, out.fileno(), err.fileno())
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", errors="replace")
        stderr = err.read().decode("utf-8", errors="replace")
    return subprocess.CompletedProcess(["python", "-m", "compose", *argv], code, stdout, stderr)


def _child(case: harness.Case, argv: list[str], out_fd: int, err_fd: int) -> None:
    code = 1
    try:
        signal.alarm(harness.TIMEOUT_SECONDS)
        os.chdir(case.directory / case.cwd)
        os.environ.clear()
        os.environ.update(harness.clean_env(case))
        stdin_path = case.directory / case.stdin if case.stdin else os.devnull
        stdin_fd = os.open(stdin_path, os.O_RDONLY)
        os.dup2(stdin_fd, 0)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8")
        sys.argv = ["pycompose", *argv]
        from compose.cli.main import run

        code = run(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code if isinstance(code, int) else 1)
