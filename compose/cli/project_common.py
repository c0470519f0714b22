"""Shared plumbing of the project commands: loading the project from the global options,
the engine, the event renderer, and the small parsers commands need."""
from __future__ import annotations

import os
import sys

from compose.errors import ComposeError, ProjectNotFound, UsageError

from . import options as _options


def load_options(opts, services=()):
    from compose.loader import LoadOptions
    return LoadOptions(files=list(opts.files), project_name=opts.project_name,
                       project_directory=opts.project_directory, env_files=list(opts.env_files),
                       profiles=list(opts.profiles), services=list(services),
                       on_warning=_warn)


def load_project(ctx, services=()):
    """The Project for this command (ComposeError on bad files), served from the project
    cache (compose.project_cache) when nothing the loader read has changed."""
    from compose.project_cache import load_cached
    opts = _options.get(ctx)
    return load_cached(load_options(opts, services), project_cache_dir(opts))


def project_cache_dir(opts):
    from engine.layout import Layout
    try:
        return Layout.from_env(opts.root, opts.runroot).runroot / "compose-cache"
    except (OSError, ValueError):
        return None


def load_project_or_name(ctx, services=()):
    """(project, name): commands like down/ps/stop also work without a file when -p is given
    (or COMPOSE_PROJECT_NAME): the project is then reconstructed from the engine's labels."""
    opts = _options.get(ctx)
    try:
        project = load_project(ctx, services)
        return project, project.name
    except ProjectNotFound:
        name = opts.project_name or os.environ.get("COMPOSE_PROJECT_NAME")
        if not name:
            raise
        return None, name


def engine(ctx):
    return _options.get(ctx).engine()


def ansi(ctx) -> str:
    return ansi_mode(_options.get(ctx))


def ansi_mode(opts) -> str:
    return opts.ansi if opts.ansi != "auto" else os.environ.get("COMPOSE_ANSI", "auto")


def renderer(ctx):
    """The progress renderer: --progress / COMPOSE_PROGRESS, --ansi / COMPOSE_ANSI, and
    COMPOSE_STATUS_STDOUT (progress on stdout instead of stderr)."""
    from .render import make_renderer
    return make_renderer(*progress_target(_options.get(ctx)))


def progress_target(opts) -> tuple:
    """(renderer mode, stream) for these global options and the environment."""
    mode = opts.progress
    if os.environ.get("COMPOSE_PROGRESS") and mode == "auto":
        mode = os.environ["COMPOSE_PROGRESS"]
    if ansi_mode(opts) == "never" and mode in ("auto", "tty"):
        mode = "plain"
    stream = sys.stdout if env_flag("COMPOSE_STATUS_STDOUT") else sys.stderr
    return mode, stream


def parallel(ctx) -> int:
    return _options.get(ctx).parallel


def dry_run(ctx) -> bool:
    return _options.get(ctx).dry_run


def check_services(project, services) -> None:
    if project is None:
        return
    for s in services:
        if s not in project.services:
            raise ComposeError(f"no such service: {s}")


def parse_scale(values) -> dict:
    out = {}
    for item in values or ():
        name, sep, num = item.partition("=")
        if not sep or not num.isdigit():
            raise UsageError(f"invalid --scale value {item!r}: expected SERVICE=NUM")
        out[name] = int(num)
    return out


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


def use_color(ctx, no_color: bool = False) -> bool:
    mode = ansi(ctx)
    if no_color or mode == "never" or os.environ.get("NO_COLOR"):
        return False
    return mode == "always" or sys.stdout.isatty()


def print_plan(plan) -> None:
    sys.stdout.write(plan.render() or "nothing to do\n")


def timeout_value(t: int | None) -> float | None:
    return None if t is None else float(t)


def confirm(question: str) -> bool:
    """Docker Compose's prompt: the question on stdout (no newline), one line read from stdin;
    y/yes/true/1 is yes, anything else (or end of input) no."""
    sys.stdout.write(question + " ")
    sys.stdout.flush()
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        answer = ""
    return answer.strip().lower() in ("y", "yes", "true", "1", "t")


def _warn(message: str) -> None:
    """A warning as Docker Compose (logrus) prints it: WARN[0000] on a terminal, else
    time=… level=warning msg=…"""
    from compose.loader.logwarn import warn
    warn(message)
