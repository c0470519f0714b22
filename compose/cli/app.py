"""The root typer app: global options and registration of every command module.

Each module in COMMAND_MODULES exposes ``register(root, groups)`` where ``groups`` maps
"image", "container", "network", "volume", "system" to their typer sub-apps.
"""
from __future__ import annotations

import importlib
from typing import List, Optional

from compose.cli.ty import typer

from . import options as _options

COMMAND_MODULES = [
    "compose.cli.config_cmd",      # config (loader)
    "compose.cli.image_cmd",       # image ls/inspect/rm/tag/prune/history/import/load/save/pull/push
    "compose.cli.container_cmd",   # container create/start/stop/.../run
    "compose.cli.network_cmd",     # network ls/inspect/create/rm/prune/connect/disconnect
    "compose.cli.volume_cmd",      # volume ls/inspect/create/rm/prune
    "compose.cli.build_cmd",       # build, image build
    "compose.cli.project_cmd",     # up/down/ps/logs/exec/run/... (project verbs)
]

# Which modules register each top-level command or group. A command line names one of these,
# so only its modules are imported (start-up stays lean); anything else (no command, --help,
# an unknown name) loads every module. tests/test_cli_app.py checks this table against what
# the modules really register.
PROVIDERS = {
    "config": ("compose.cli.config_cmd",),
    "image": ("compose.cli.image_cmd", "compose.cli.build_cmd"),
    "container": ("compose.cli.container_cmd",),
    "network": ("compose.cli.network_cmd",),
    "volume": ("compose.cli.volume_cmd",),
    "build": ("compose.cli.build_cmd",),
    "system": ("compose.cli.container_cmd",),     # system boot (restart policies after a reboot)
    "builder": ("compose.cli.build_cmd",),
    **{verb: ("compose.cli.project_cmd",) for verb in (
        "up", "create", "down", "start", "stop", "restart", "rm", "kill", "pause", "unpause",
        "scale", "wait", "ps", "ls", "images", "top", "port", "logs", "version", "exec", "run",
        "cp", "watch", "pull", "push", "events", "attach", "stats", "commit", "export")},
}

# Global options that take a value (the value is the next word unless written --opt=value).
_VALUE_OPTIONS = {"-f", "--file", "-p", "--project-name", "--project-directory", "--env-file",
                  "--profile", "--parallel", "--progress", "--ansi", "--root", "--runroot"}

GROUPS = {
    "image": "Manage images",
    "container": "Manage containers",
    "network": "Manage networks",
    "volume": "Manage volumes",
    "system": "Manage the engine",
}


def command_name(argv: "list[str] | None") -> "str | None":
    """The first word of ``argv`` that is not a global option or an option's value."""
    args = list(argv or [])
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            return args[i + 1] if i + 1 < len(args) else None
        if word.startswith("-"):
            if word in _VALUE_OPTIONS:
                i += 1
            i += 1
            continue
        return word
    return None


def modules_for(argv: "list[str] | None") -> "list[str]":
    """The command modules needed to run ``argv``."""
    wanted = PROVIDERS.get(wanted_command(argv) or "")
    if wanted is None:
        return list(COMMAND_MODULES)
    return [m for m in COMMAND_MODULES if m in wanted]


def wanted_command(argv: "list[str] | None") -> "str | None":
    """The one top-level command or group ``argv`` runs, when only it needs building: a name
    in PROVIDERS, not preceded by -h/--help (root help lists every command)."""
    name = command_name(argv)
    if name not in PROVIDERS:
        return None
    before = list(argv or [])[:list(argv or []).index(name)]
    return None if {"-h", "--help"} & set(before) else name


def _registered_name(info) -> str:
    return info.name or info.callback.__name__.lower().replace("_", "-")


def build_app(argv: "list[str] | None" = None, *, everything: bool = False) -> typer.Typer:
    """The root app, with the command modules ``argv`` needs (all of them if ``everything``).

    Typer inspects the signature of every registered command before running one, so when
    ``argv`` names a command only that command (or group) is kept. Help and usage errors use
    click's plain formatter (``rich_markup_mode=None``): importing rich costs ~0.5 s.
    """
    only = None if everything or argv is None else wanted_command(argv)
    root = typer.Typer(
        rich_markup_mode=None,
        name="pycompose",
        help="Docker Compose in Python, with its own daemonless container engine.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    root.callback()(_global_options)
    groups = {}
    for name, help_text in GROUPS.items():
        sub = typer.Typer(help=help_text, no_args_is_help=True, add_completion=False,
                          pretty_exceptions_enable=False, rich_markup_mode=None)
        groups[name] = sub
    for modname in (COMMAND_MODULES if everything or argv is None else modules_for(argv)):
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as e:
            if e.name == modname:
                continue            # a command module not written yet
            raise
        mod.register(root, groups)
    if only is not None:
        root.registered_commands = [c for c in root.registered_commands if _registered_name(c) == only]
        root.registered_groups = [g for g in root.registered_groups if g.name == only]
    for name, sub in groups.items():
        if (sub.registered_commands or sub.registered_groups) and only in (None, name):
            root.add_typer(sub, name=name)
    return root


def _global_options(
    ctx: typer.Context,
    file: Optional[List[str]] = typer.Option(None, "-f", "--file", help="Compose configuration files"),
    project_name: Optional[str] = typer.Option(None, "-p", "--project-name", help="Project name"),
    project_directory: Optional[str] = typer.Option(None, "--project-directory",
                                                    help="Alternate working directory"),
    env_file: Optional[List[str]] = typer.Option(None, "--env-file", help="Alternate environment file"),
    profile: Optional[List[str]] = typer.Option(None, "--profile", help="Profile to enable"),
    parallel: int = typer.Option(-1, "--parallel", envvar="COMPOSE_PARALLEL_LIMIT",
                                 help="Control max parallelism, -1 for unlimited"),
    progress: str = typer.Option("auto", "--progress",
                                 help="Progress output type: auto, tty, plain, json, quiet"),
    ansi: str = typer.Option("auto", "--ansi", help="Control ANSI output: never, always, auto"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Execute command in dry run mode"),
    root: Optional[str] = typer.Option(None, "--root", envvar="PYCOMPOSE_ROOT",
                                       help="Engine state directory (default /var/lib/pycompose)"),
    runroot: Optional[str] = typer.Option(None, "--runroot", envvar="PYCOMPOSE_RUNROOT",
                                          help="Engine run directory (default /run/pycompose)"),
) -> None:
    ctx.obj = _options.GlobalOptions(
        files=list(file or []), project_name=project_name, project_directory=project_directory,
        env_files=list(env_file or []), profiles=list(profile or []), parallel=parallel,
        progress=progress, ansi=ansi, dry_run=dry_run, root=root, runroot=runroot,
    )
