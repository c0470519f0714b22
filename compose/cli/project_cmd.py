"""Every project verb (Docker Compose's top-level commands), registered on the root app:
up, create (project_up); down, start, stop, restart, rm, kill, pause, unpause, scale, wait
(project_life); ps, ls, images, top, port, logs, version (project_info); exec, run, cp
(project_exec). Heavy imports happen inside the commands so `--help` stays fast."""
from __future__ import annotations

from compose.cli.ty import typer


def register(root: typer.Typer, groups: dict) -> None:
    from . import project_exec, project_info, project_life, project_up, project_watch
    for mod in (project_up, project_life, project_info, project_exec, project_watch):
        mod.register(root, groups)
