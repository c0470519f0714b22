"""Console entry point: runs the typer app and maps errors to messages and exit codes.

This is the only place that turns exceptions into exit codes. A user's mistake
(ComposeError, EngineError) is one clear message on stderr and a non-zero exit, never a
traceback. Anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    from compose.errors import ComposeError
    from engine.errors import EngineError

    from .app import build_app

    if argv is None:
        argv = sys.argv[1:]
    if argv[:2] == ["container", "run"]:      # hot path: no typer import, no app built
        from .container_cmd.fast import try_main
        code = try_main(argv)
        if code is not None:
            return code
    app = build_app(argv)
    try:
        app(args=argv, prog_name="pycompose", standalone_mode=True)
    except SystemExit as e:              # click/typer exit in standalone mode (usage errors: 2)
        code = e.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except (ComposeError, EngineError) as e:
        _error(str(e))
        return getattr(e, "exit_code", 1) or 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return 0


def _error(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
