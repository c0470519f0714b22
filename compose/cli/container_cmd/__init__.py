"""`pycompose container ...`: docker-like container commands over engine.containers.

create start stop kill restart pause unpause rm wait inspect logs exec top cp stats rename
run ls (alias ps) port. Heavy imports stay inside the functions (`pycompose --help` is fast).
"""
from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, List, Optional

from .. import options as _options

if TYPE_CHECKING:                      # typer is imported where used: fast.py runs without it
    import typer

PASSTHROUGH = {"allow_extra_args": True, "ignore_unknown_options": True,
               "help_option_names": []}


def _engine(ctx):
    return _options.get(ctx).engine()


def _each(ids, action) -> None:
    """Apply ``action`` to every id; report failures like docker and exit 1 at the end."""
    from ..ty import typer
    from engine.errors import EngineError
    failed = False
    for ref in ids:
        try:
            action(ref)
            typer.echo(ref)
        except EngineError as e:
            failed = True
            typer.echo(f"Error response from daemon: {e}", err=True)
    if failed:
        raise typer.Exit(1)


def register(root: typer.Typer, groups: dict) -> None:
    app = groups["container"]
    from . import commands
    commands.register(app)
    groups["system"].command("boot")(commands.system_boot)
