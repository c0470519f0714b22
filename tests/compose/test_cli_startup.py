"""Start-up work the CLI avoids: only the named command is built, help needs no rich, and
the YAML writer's single-line cache renders a string the same as without it."""
import subprocess
import sys

import typer

from compose.cli import app as cli_app
from compose.loader import yamlout


def _names(root: typer.Typer) -> set:
    names = {cli_app._registered_name(c) for c in root.registered_commands}
    return names | {g.name for g in root.registered_groups}


def test_only_the_named_command_is_built():
    assert _names(cli_app.build_app(["-p", "x", "up", "-d"])) == {"up"}
    assert _names(cli_app.build_app(["network", "ls"])) == {"network"}


def test_root_help_before_the_command_keeps_every_command():
    assert cli_app.wanted_command(["--help", "up"]) is None
    assert cli_app.wanted_command(["up", "--help"]) == "up"
    assert cli_app.wanted_command(["no-such"]) is None
    names = _names(cli_app.build_app(["-h", "up"]))
    assert {"up", "down", "ps", "run", "config"} <= names


def test_help_and_usage_errors_do_not_import_rich():
    code = ("import sys; from compose.cli.main import run; "
            "codes = [run(['--help']), run(['up', '--no-such-flag'])]; "
            "print(codes, 'rich' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[0, 2] False", out.stderr
    assert "No such option: --no-such-flag" in out.stderr


def test_cached_scalar_rendering_matches_uncached():
    samples = ["yes", "plain", "a: b", "it's", "", "1.5", "null", "ü", "-x", "key"]
    for text in samples:
        for is_key in (False, True):
            first = yamlout.scalar(text, 4, is_key)
            assert yamlout.scalar(text, 0, is_key) == first
            assert first == yamlout._render_string(text, 4, is_key)
    assert yamlout.scalar("a\nb", 2) == yamlout._render_string("a\nb", 2, False)
