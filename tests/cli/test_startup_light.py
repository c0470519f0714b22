"""Everyday commands start without importing typer (the light dispatcher runs them), and
whatever the light dispatcher hands to typer (help, usage errors) prints exactly what the
typer app prints."""
import os
import subprocess
import sys

import pytest

from compose.cli import app as cli_app
from compose.cli import main as cli_main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def tiny_project(tmp_path, engine_dirs):
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    root, runroot = engine_dirs
    env = dict(os.environ, PYTHONPATH=REPO, PYCOMPOSE_ROOT=str(root),
               PYCOMPOSE_RUNROOT=str(runroot))
    env.pop("COMPOSE_FILE", None)
    return tmp_path, env


@pytest.mark.parametrize("command", [["ps"], ["up", "-d"], ["down"], ["config"],
                                     ["network", "ls"], ["-p", "other", "ps", "-a"]])
def test_everyday_commands_do_not_import_typer(tiny_project, command):
    cwd, env = tiny_project
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "compose", *command],
                         cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines()
                if line.startswith("import time:")]
    # the run really went through the CLI (network commands: their own fast path)
    assert "compose.cli.app" in imported or "compose.cli.network_fast" in imported
    typer_like = [m for m in imported if m.split(".")[0] in ("typer", "click", "rich")]
    assert typer_like == [], typer_like


def test_help_falls_back_to_typer_in_a_subprocess(tiny_project):
    cwd, env = tiny_project
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "compose", "ps", "--help"],
                         cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "Usage: pycompose ps" in out.stdout
    assert "typer" in [line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines()]


def _typer_app_output(argv, capsys):
    """What the typer app itself prints for argv (the CLI's behaviour before the light
    dispatcher existed)."""
    app = cli_app.build_app(argv)
    try:
        app(args=list(argv), prog_name="pycompose", standalone_mode=True)
        code = 0
    except SystemExit as e:
        code = cli_main.exit_code(e.code)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("argv", [
    [], ["--help"], ["-h"], ["ps", "--help"], ["ps", "-h"], ["network", "ls", "--help"],
    ["network"], ["image"], ["up", "--help"], ["-p", "x", "up", "-h"], ["config", "-h"],
    ["up", "--no-such-flag"], ["ps", "--parallel"], ["--parallel", "x", "ps"], ["nosuch"],
    ["network", "nosuch"], ["-p", "x"], ["network", "inspect"], ["down", "-t", "soon"],
    ["ps", "extra", "--format"], ["exec", "web"], ["container", "ls", "-h"],
    ["volume", "create", "--help"], ["builder", "--help"],
])
def test_help_and_usage_errors_are_typers(argv, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    expected = _typer_app_output(argv, capsys)
    code = cli_main.run(list(argv))
    captured = capsys.readouterr()
    assert (code, captured.out, captured.err) == expected
    assert code in (0, 2)
    assert captured.out or captured.err


def test_light_run_leaves_the_typer_modules_in_place(tmp_path, monkeypatch, engine_dirs):
    """A light run inside a process that already uses the typer-built modules (tests do)
    restores them afterwards."""
    import typer
    from compose.cli import network_cmd
    root, runroot = engine_dirs
    before = network_cmd.typer
    assert before is typer
    monkeypatch.chdir(tmp_path)
    assert cli_main.run(["--root", str(root), "--runroot", str(runroot), "network", "ls", "-q"]) == 0
    assert sys.modules["compose.cli.network_cmd"] is network_cmd
    assert sys.modules["compose.cli.app"] is cli_app
    assert network_cmd.typer is typer
