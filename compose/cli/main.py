"""Console entry point: runs a command and maps errors to messages and exit codes.

A command line is first tried without typer (importing it costs ~90 ms): the command
modules are imported in fast mode (compose.cli.ty), compose.cli.fastparse parses argv from
their recorded typer declarations and calls the callback with the same keyword arguments
typer would. Whenever that parser is not sure (help, no command, an unknown command or
option, a missing value, a conversion error, shell completion) the real typer app runs
instead, so help texts and usage errors stay typer's own. `container run` has its own
argparse fast path (container_cmd/fast.py), and a no-op `up -d` its own (up_light.py).

This is the only place that turns exceptions into exit codes. A user's mistake
(ComposeError, EngineError) is one clear message on stderr and a non-zero exit, never a
traceback. Anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import os
import sys

_HELP_WORDS = ("-h", "--help")


def main(argv: list[str] | None = None) -> None:
    """The console script: run the command, flush, and leave at once. Interpreter shutdown
    (joining idle pool threads, module teardown, GC of everything) costs 50–120 ms and has
    nothing left to do: every command finishes its work, cleans its temporary files and
    waits for its threads before returning. A bug's exception still unwinds normally."""
    code = run(argv)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):      # a closed pipe or stream: nothing more to say
            pass
    os._exit(code)


def run(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    argv = list(argv)
    if argv[:2] == ["container", "run"]:      # hot path: no typer import, no app built
        from .container_cmd.fast import try_main
        code = try_main(argv)
        if code is not None:
            return code
    try:
        code = None
        if argv[:1] == ["network"]:           # hot path: own parser (network_fast.py)
            from .network_fast import try_run
            code = try_run(argv)
        elif "up" in argv:
            code = _try_up_light(argv)
        if code is None:
            code = run_light(argv)
        return run_typer(argv) if code is None else code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:
        return user_error_exit(e)


def user_error_exit(e: Exception) -> int:
    """A user's mistake (ComposeError, EngineError): one message on stderr and its exit
    code. Anything else is a bug and is raised again, traceback and all."""
    if not _is_user_error(e):
        raise e
    _error(str(e))
    return getattr(e, "exit_code", 1) or 1


def _try_up_light(argv: list[str]) -> "int | None":
    """A no-op `up -d` without typer, the loader or the engine services (up_light.py);
    None when that path is not sure (then nothing has been printed or changed)."""
    from .up_light import try_up
    return try_up(argv)


def _is_user_error(e: Exception) -> bool:
    """A ComposeError or EngineError (imported only now: if ``e`` is one, its module is
    loaded already)."""
    from compose.errors import ComposeError
    from engine.errors import EngineError
    return isinstance(e, (ComposeError, EngineError))


def run_typer(argv: list[str]) -> int:
    """Run argv with the real typer app (standalone mode: typer prints help and usage
    errors itself)."""
    from .app import build_app
    app = build_app(argv)
    try:
        app(args=argv, prog_name="pycompose", standalone_mode=True)
    except SystemExit as e:              # click/typer exit in standalone mode (usage errors: 2)
        return exit_code(e.code)
    return 0


def run_light(argv: list[str]) -> "int | None":
    """Run argv without typer; None when the light parser is not sure (nothing has run)."""
    if any(word in _HELP_WORDS for word in argv) or "_PYCOMPOSE_COMPLETE" in os.environ:
        return None
    from . import ty
    with ty.light_modules():
        from . import fastparse, tylite
        from .app import build_app
        try:
            calls = fastparse.resolve(build_app(argv), argv, tylite)
        except (fastparse.Unsure, AttributeError):
            return None
        return _invoke_light(calls, fastparse, tylite)


def _invoke_light(calls, fastparse, tylite) -> int:
    """What typer's standalone main does around a command: Exit codes, Ctrl-C = 130,
    EOF = "Aborted!", a closed pipe = 1 without noise at interpreter exit."""
    try:
        fastparse.invoke(calls, tylite)
        return 0
    except tylite.Exit as e:
        return exit_code(e.exit_code)
    except SystemExit as e:
        return exit_code(e.code)
    except KeyboardInterrupt:
        return 130
    except EOFError:
        sys.stderr.write("\nAborted!\n")
        return 1
    except OSError as e:
        return closed_pipe_exit(e)


def closed_pipe_exit(e: OSError) -> int:
    """A closed stdout/stderr pipe ends a command with 1 and no noise at interpreter exit
    (click's behaviour); any other OSError is raised again."""
    import errno
    if e.errno != errno.EPIPE:
        raise e
    sys.stdout = _Pacified(sys.stdout)
    sys.stderr = _Pacified(sys.stderr)
    return 1


def exit_code(code) -> int:
    return code if isinstance(code, int) else (0 if code is None else 1)


class _Pacified:
    """A stream whose flush ignores a closed pipe (like click's PacifyFlushWrapper)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped

    def flush(self) -> None:
        import errno
        try:
            self.wrapped.flush()
        except OSError as e:
            if e.errno != errno.EPIPE:
                raise

    def __getattr__(self, name):
        return getattr(self.wrapped, name)


def _error(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
