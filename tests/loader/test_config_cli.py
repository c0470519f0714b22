"""`pycompose config` flags, run in-process through the real CLI entry point."""
import json

import pytest

from compose.cli.main import run

COMPOSE = """
name: demo
services:
  web:
    image: nginx
    depends_on: [api]
    profiles: [front]
  api:
    build: ./api
    depends_on: [db]
    environment: ["TAG=${TAG:-latest}", "REQ=${REQ:?set it}"]
  db:
    image: postgres
volumes:
  unused: {}
"""


@pytest.fixture
def proj(tmp_path, monkeypatch):
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    monkeypatch.chdir(tmp_path)
    for var in ("COMPOSE_FILE", "COMPOSE_PROFILES", "COMPOSE_PROJECT_NAME", "TAG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("REQ", "1")
    return tmp_path


def cli(capsys, *args):
    rc = run(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_yaml_and_json(proj, capsys):
    rc, out, _ = cli(capsys, "config")
    assert rc == 0 and out.startswith("name: demo\nservices:\n  api:\n")
    rc, out, _ = cli(capsys, "--profile", "front", "config", "--format", "json")
    data = json.loads(out)
    assert set(data["services"]) == {"api", "db", "web"}
    assert data["services"]["api"]["build"]["context"] == str(proj / "api")


def test_listing_flags(proj, capsys):
    assert cli(capsys, "--profile", "front", "config", "--services")[1] == "db\napi\nweb\n"
    assert cli(capsys, "config", "--images")[1] == "demo-api\npostgres\n"
    assert cli(capsys, "config", "--profiles")[1] == "front\n"
    assert cli(capsys, "config", "--volumes")[1] == ""
    assert cli(capsys, "config", "--networks")[1] == "default\n"


def test_hash_quiet_output_file(proj, capsys):
    rc, out, _ = cli(capsys, "config", "--hash", "*")
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["api", "db"] and len(lines[0].split()[1]) == 64
    assert cli(capsys, "config", "-q") == (0, "", "")
    rc, out, _ = cli(capsys, "config", "-o", str(proj / "out.yaml"))
    assert rc == 0 and out == "" and (proj / "out.yaml").read_text().startswith("name: demo")


def test_variables_and_no_interpolate(proj, capsys):
    rc, out, _ = cli(capsys, "config", "--variables")
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["NAME", "REQUIRED", "DEFAULT", "VALUE", "ALTERNATE", "VALUE"]
    assert ["TAG", "false", "latest"] in rows and ["REQ", "true"] in rows
    rc, out, _ = cli(capsys, "config", "--no-interpolate")
    assert "- TAG=${TAG:-latest}" in out


def test_errors_are_one_message_without_traceback(proj, capsys, monkeypatch):
    monkeypatch.delenv("REQ")
    rc, out, err = cli(capsys, "config")
    assert rc == 1 and "required variable REQ is missing a value: set it" in err
    assert "Traceback" not in err
    (proj / "compose.yaml").write_text("services:\n  a:\n\timage: x\n")
    rc, out, err = cli(capsys, "config")
    assert rc == 1 and "compose.yaml:3" in err and "Traceback" not in err
    rc, out, err = cli(capsys, "-p", "Bad", "config")
    assert rc == 1 and "invalid project name" in err
