"""The installed `pycompose` command is scripts/pycompose (pyproject script-files), a plain
launcher that imports nothing but sys before compose.cli.main: pip's generated console-script
wrapper would import `re` first on every call."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = REPO / "scripts" / "pycompose"


def test_pyproject_installs_the_launcher_as_the_pycompose_command():
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert meta["tool"]["setuptools"]["script-files"] == ["scripts/pycompose"]
    # an entry point of the same name would overwrite the launcher with pip's wrapper
    assert "pycompose" not in meta["project"].get("scripts", {})
    assert LAUNCHER.read_text().startswith("#!python\n")      # pip rewrites this line
    assert os.access(LAUNCHER, os.X_OK)


def test_launcher_imports_only_sys_and_the_cli_entry():
    tree = ast.parse(LAUNCHER.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported == {"sys", "compose.cli.main"}


def test_launcher_runs_a_command_and_passes_its_exit_code():
    env = dict(os.environ, PYTHONPATH=str(REPO))
    ok = subprocess.run([sys.executable, str(LAUNCHER), "version", "--short"], env=env,
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    from compose import __version__
    assert ok.stdout.strip() == __version__
    bad = subprocess.run([sys.executable, str(LAUNCHER), "no-such-command"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "No such command" in bad.stderr
