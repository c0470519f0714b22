"""`version` prints compose.__version__, which must stay pyproject.toml's version (the
installed distribution's metadata, what importlib.metadata would report)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import compose
from compose.cli.main import run

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _pyproject_version() -> str:
    text = PYPROJECT.read_text()
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    return re.search(r'^version\s*=\s*"([^"]+)"', project, re.M).group(1)


def test_version_constant_matches_pyproject():
    assert compose.__version__ == _pyproject_version()


def test_version_outputs(capsys):
    v = _pyproject_version()
    assert run(["version"]) == 0
    assert capsys.readouterr().out == f"pycompose version v{v}\n"
    assert run(["version", "--short"]) == 0
    assert capsys.readouterr().out == f"{v}\n"
    assert run(["version", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"version": f"v{v}"}


def test_version_does_not_read_package_metadata():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "compose", "version"],
                         capture_output=True, text=True, timeout=60,
                         cwd=str(PYPROJECT.parent))
    assert out.returncode == 0 and out.stdout.startswith("pycompose version v")
    names = [line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines()
             if line.startswith("import time:")]
    ours = names[names.index("compose"):]
    assert "importlib.metadata" not in ours
