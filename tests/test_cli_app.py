"""The CLI loads only the command modules a command line needs, and the table that says which
module provides which command matches what the modules really register."""
import importlib

import typer

from compose.cli import app as cli_app


def _registered_names(modname):
    root = typer.Typer()
    groups = {g: typer.Typer() for g in cli_app.GROUPS}
    importlib.import_module(modname).register(root, groups)
    names = {c.name or c.callback.__name__.replace("_", "-") for c in root.registered_commands}
    names |= {g.name for g in root.registered_groups}
    names |= {g for g, sub in groups.items() if sub.registered_commands or sub.registered_groups}
    return names


def test_providers_table_matches_registrations():
    provided = {}
    for modname in cli_app.COMMAND_MODULES:
        for name in _registered_names(modname):
            provided.setdefault(name, set()).add(modname)
    for name, mods in provided.items():
        assert name in cli_app.PROVIDERS, f"{name} (from {sorted(mods)}) missing in PROVIDERS"
        assert mods <= set(cli_app.PROVIDERS[name]), (name, mods)


def test_command_name_skips_global_options():
    assert cli_app.command_name(["-f", "a.yml", "-p", "x", "--dry-run", "up", "-d"]) == "up"
    assert cli_app.command_name(["--file=a.yml", "image", "ls"]) == "image"
    assert cli_app.command_name(["--help"]) is None


def test_modules_for_a_command_are_only_its_providers():
    assert cli_app.modules_for(["-f", "x.yml", "config"]) == ["compose.cli.config_cmd"]
    assert set(cli_app.modules_for(["image", "build", "."])) == {
        "compose.cli.image_cmd", "compose.cli.build_cmd"}
    assert cli_app.modules_for(["--help"]) == cli_app.COMMAND_MODULES
    assert cli_app.modules_for(["no-such"]) == cli_app.COMMAND_MODULES
