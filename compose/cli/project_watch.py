"""`watch` and the watcher half of `up --watch` (BEHAVIOUR.md §1.3, §5.14)."""
from __future__ import annotations

import sys
import threading
from typing import List, Optional

from compose.cli.ty import typer

from . import project_common as pc


def _log(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def make_watcher(ctx, project, services, *, prune: bool = True, quiet: bool = False):
    """A compose.watch Watcher for ``services`` (all when empty) of ``project``."""
    from compose.watch.loop import Watcher
    from compose.watch.rules import load_targets
    targets = load_targets(project, services, warn=_warn)
    render = None if quiet else pc.renderer(ctx)
    return Watcher(pc.engine(ctx), project, targets, log=_log, prune=prune, quiet=quiet,
                   on_event=render)


def start_background(watcher):
    """`up --watch`: run ``watcher`` in a daemon thread; returns (stop_event, thread)."""
    stop = threading.Event()

    def body():
        try:
            watcher.run(stop)
        except Exception as e:               # noqa: BLE001 - reported, the stack keeps running
            _log(f"watch stopped: {e}")

    thread = threading.Thread(target=body, name="watch", daemon=True)
    thread.start()
    return stop, thread


def watch(ctx: typer.Context,
          services: Optional[List[str]] = typer.Argument(None, metavar="SERVICE"),
          no_up: bool = typer.Option(False, "--no-up", help="Do not build & start services before watching"),
          prune: bool = typer.Option(True, "--prune/--no-prune", help="Prune dangling images on rebuild"),
          quiet: bool = typer.Option(False, "--quiet", help="hide build output"),
          ) -> None:
    from .project_up import _converge, _image_options, _up_options
    services = list(services or [])
    project = pc.load_project(ctx, services)
    pc.check_services(project, services)
    watcher = make_watcher(ctx, project, services, prune=prune, quiet=quiet)
    if not no_up:
        up_opts = _up_options(project, services, no_deps=False, force_recreate=False,
                              no_recreate=False, always_recreate_deps=False, renew_anon=False,
                              remove_orphans=False, scale=None, no_start=False, timeout=None)
        if not _converge(ctx, project, up_opts, _image_options(None, False, False, False, quiet)):
            return
    stop = threading.Event()
    try:
        watcher.run(stop)
    except KeyboardInterrupt:
        stop.set()
    raise typer.Exit(0)


def register(root: typer.Typer, groups: dict) -> None:
    root.command("watch", help="Watch build context for service and rebuild/refresh containers when files are updated")(watch)


def _warn(message: str) -> None:
    """A warning as Docker Compose (logrus) prints it: WARN[0000] on a terminal, else
    time=… level=warning msg=…"""
    from compose.loader.logwarn import warn
    warn(message)
