"""``pycompose volume …`` through the CLI entry point on a private engine root."""
from __future__ import annotations

import json

import pytest

from compose.cli.main import run as cli

pytestmark = pytest.mark.root


def test_volume_cli(engine, capsys):
    root = ["--root", str(engine.layout.root), "--runroot", str(engine.layout.runroot)]
    assert cli(root + ["volume", "create", "--label", "team=h5", "clivol"]) == 0
    assert capsys.readouterr().out == "clivol\n"
    assert cli(root + ["volume", "create"]) == 0
    anon = capsys.readouterr().out.strip()
    assert len(anon) == 64
    assert cli(root + ["volume", "ls"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["DRIVER", "VOLUME", "NAME"]
    assert sorted(line.split()[1] for line in lines[1:]) == sorted([anon, "clivol"])
    assert cli(root + ["volume", "ls", "--format", "json", "--filter", "label=team=h5"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["Name"] == "clivol" and row["Driver"] == "local" and row["Labels"] == "team=h5"
    assert cli(root + ["volume", "inspect", "clivol"]) == 0
    doc = json.loads(capsys.readouterr().out)[0]
    assert doc["Mountpoint"].endswith("/volumes/clivol/_data") and doc["Scope"] == "local"
    assert cli(root + ["volume", "create", "bad!"]) == 1
    assert "invalid characters for a local volume name" in capsys.readouterr().err
    assert cli(root + ["volume", "prune", "-f"]) == 0
    assert capsys.readouterr().out == f"Deleted Volumes:\n{anon}\n\nTotal reclaimed space: 0B\n"
    assert cli(root + ["volume", "rm", "clivol", "missing"]) == 1
    io = capsys.readouterr()
    assert io.out == "clivol\n" and "get missing: no such volume" in io.err
    assert cli(root + ["volume", "ls", "-q"]) == 0
    assert capsys.readouterr().out == ""
