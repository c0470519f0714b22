"""Network/volume config-hash labels and their divergence, `restart` with dependents, the
`up --menu` key handling and the project cache, on the in-memory engine (real loader, real
CLI dispatch)."""
from __future__ import annotations

import hashlib
import io
import json
import os
import sys

import pytest

from compose.cli.main import run as cli_run
from compose.cli.options import GlobalOptions

PROJECT = """
name: gap
services:
  db:
    image: busybox
    volumes: [store:/data]
    networks: [back]
  api:
    image: busybox
    networks: [back]
    depends_on:
      db: {{condition: service_started, restart: true}}
  web:
    image: busybox
    depends_on: [db]
networks:
  back:
    labels: {{tier: "{tier}"}}
volumes:
  store:
    labels: {{keep: "{keep}"}}
"""


@pytest.fixture
def cli(fake_engine, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(GlobalOptions, "engine", lambda self: fake_engine)
    monkeypatch.setattr("compose.cli.app.COMMAND_MODULES", ["compose.cli.project_cmd"])
    monkeypatch.setattr("compose.executor.POLL_INTERVAL", 0.02)
    monkeypatch.setenv("PYCOMPOSE_RUNROOT", str(tmp_path / "run"))
    monkeypatch.chdir(tmp_path)

    def run(*args, tier="a", keep="1", stdin=""):
        (tmp_path / "compose.yaml").write_text(PROJECT.format(tier=tier, keep=keep))
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = cli_run(["--progress", "plain", *args])
        out, err = capsys.readouterr()
        return code, out, err
    run.engine = fake_engine
    return run


def _go_hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, separators=(",", ":")).encode()).hexdigest()


def test_networks_and_volumes_carry_docker_compose_config_hash(cli):
    assert cli("up", "-d")[0] == 0
    net = cli.engine.networks.inspect("gap_back")
    vol = cli.engine.volumes.inspect("gap_store")
    # Docker Compose: SHA-256 of the Go JSON of the network/volume config (volume driver
    # defaulted to "local"); these are the values docker compose v2.40.3 writes.
    assert net.labels["com.docker.compose.config-hash"] == _go_hash(
        {"name": "gap_back", "ipam": {}, "labels": {"tier": "a"}})
    assert vol.labels["com.docker.compose.config-hash"] == _go_hash(
        {"name": "gap_store", "driver": "local", "labels": {"keep": "1"}})
    default = cli.engine.networks.inspect("gap_default")
    assert default.labels["com.docker.compose.config-hash"] == _go_hash({"name": "gap_default", "ipam": {}})


def test_changed_network_is_recreated_and_its_containers_restarted(cli):
    assert cli("up", "-d")[0] == 0
    old_id = cli.engine.networks.inspect("gap_back").id
    code, out, err = cli("--dry-run", "up", "-d", tier="b")
    assert "network   gap_back                     recreate   config hash diverged" in out
    code, out, err = cli("up", "-d", tier="b")
    assert code == 0, err
    lines = err.splitlines()
    for name in ("gap-db-1", "gap-api-1"):       # the services on that network
        assert lines.index(f"Container {name} Stopped") < lines.index("Network gap_back Removed")
        assert lines.index("Network gap_back Created") < lines.index(f"Container {name} Started")
    assert "Container gap-web-1 Stopping" not in err            # not on that network
    net = cli.engine.networks.inspect("gap_back")
    assert net.labels["tier"] == "b"
    assert all(cli.engine.containers.inspect(n).state.running for n in ("gap-db-1", "gap-api-1"))
    assert old_id != net.id or "network.remove gap_back" in cli.engine.log
    code, out, err = cli("up", "-d", tier="b")                  # converged: nothing to do
    assert "Network gap_back" not in err and "Started" not in err


def test_changed_volume_asks_first_and_y_recreates(cli):
    assert cli("up", "-d")[0] == 0
    first = cli.engine.containers.inspect("gap-db-1").id
    code, out, err = cli("up", "-d", keep="2")                  # no answer: keep it
    assert code == 0, err
    assert out == ('Volume "gap_store" exists but doesn\'t match configuration in compose file. '
                   'Recreate (data will be lost)? ')
    assert cli.engine.volumes.inspect("gap_store").labels["keep"] == "1"
    assert cli.engine.containers.inspect("gap-db-1").id == first
    code, out, err = cli("up", "-d", keep="2", stdin="n\n")
    assert cli.engine.volumes.inspect("gap_store").labels["keep"] == "1"
    code, out, err = cli("up", "-d", "-y", keep="2")
    assert code == 0, err
    assert out == ""                                             # -y: no question
    lines = err.splitlines()
    assert lines.index("Container gap-db-1 Removed") < lines.index("Volume gap_store Created") \
        < lines.index("Container gap-db-1 Created")
    assert cli.engine.volumes.inspect("gap_store").labels["keep"] == "2"
    assert cli.engine.containers.inspect("gap-db-1").id != first
    code, out, err = cli("up", "-d", keep="3", stdin="y\n")      # answering yes
    assert cli.engine.volumes.inspect("gap_store").labels["keep"] == "3"


def test_volume_without_hash_label_is_not_diverged(cli):
    from engine.types import VolumeSpec
    cli.engine.volumes.create(VolumeSpec(name="gap_store", labels={
        "com.docker.compose.project": "gap", "com.docker.compose.volume": "store"}))
    code, out, err = cli("up", "-d", keep="9")
    assert code == 0 and out == "", err


def test_restart_takes_restart_true_dependents_along(cli):
    assert cli("up", "-d")[0] == 0
    code, out, err = cli("restart", "db")
    assert code == 0, err
    assert err.splitlines() == ["Container gap-db-1 Restarting", "Container gap-db-1 Started",
                                "Container gap-api-1 Restarting", "Container gap-api-1 Started"]
    code, out, err = cli("restart", "--no-deps", "db")
    assert err.splitlines() == ["Container gap-db-1 Restarting", "Container gap-db-1 Started"]
    code, out, err = cli("restart", "web")
    assert err.splitlines() == ["Container gap-web-1 Restarting", "Container gap-web-1 Started"]
    code, out, err = cli("restart")
    lines = err.splitlines()
    assert sorted(lines) == sorted(f"Container gap-{s}-1 {v}" for s in ("db", "api", "web")
                                   for v in ("Restarting", "Started"))
    assert lines.index("Container gap-db-1 Started") < lines.index("Container gap-api-1 Restarting")


def test_restart_without_file_uses_depends_on_labels(cli, tmp_path, capsys):
    assert cli("up", "-d")[0] == 0
    os.unlink(tmp_path / "compose.yaml")
    capsys.readouterr()
    assert cli_run(["--progress", "plain", "-p", "gap", "restart", "db"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "Container gap-db-1 Restarting", "Container gap-db-1 Started",
        "Container gap-api-1 Restarting", "Container gap-api-1 Started"]


def test_menu_keys_and_enablement(monkeypatch):
    from compose.cli.project_menu import NavigationMenu, WATCH_NOT_CONFIGURED, menu_enabled, menu_text
    out = io.StringIO()
    calls = []
    states = iter([None, True, False])
    nav = NavigationMenu(lambda: next(states), lambda: calls.append("detach"), stdout=out, color=False)
    nav.handle("w")
    assert nav.info == WATCH_NOT_CONFIGURED and not nav.watching
    nav.handle("w")
    assert nav.watching and "w Disable Watch   d Detach" in out.getvalue()
    nav.handle("w")
    assert not nav.watching
    nav.handle("x")
    nav.handle("d")
    assert calls == ["detach"]
    assert menu_text(False, color=False) == "w Enable Watch   d Detach"
    monkeypatch.setattr(sys, "stdin", io.StringIO())             # not a terminal: never
    assert not menu_enabled(True, {})
    assert not menu_enabled(None, {"COMPOSE_MENU": "true"})


def test_project_cache_hits_and_invalidation(tmp_path, monkeypatch):
    import compose.loader as loader
    from compose.loader import LoadOptions
    from compose.project_cache import load_cached
    calls = []
    real = loader.load_project
    monkeypatch.setattr(loader, "load_project", lambda o: calls.append(1) or real(o))
    cache = tmp_path / "cache"
    tmp_path = tmp_path / "proj"
    tmp_path.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TAG", "1")
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: busybox:${TAG}\n    command: ${UNSET_H3}\n")
    warnings = []

    def load():
        return load_cached(LoadOptions(on_warning=warnings.append), cache)
    first = load()
    assert load() == first and len(calls) == 1                  # served from the cache
    assert len(warnings) == 2 and warnings[0] == warnings[1]     # the warning is replayed
    monkeypatch.setenv("TAG", "2")                               # environment is part of the key
    assert load().services["a"].image == "busybox:2" and len(calls) == 2
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: busybox:${TAG}\n    command: ${UNSET_H3}x\n")
    assert load().services["a"].command == ("x",) and len(calls) == 3     # same size, new text
    (tmp_path / "compose.override.yaml").write_text("services:\n  a:\n    image: other\n")
    assert load().services["a"].image == "other" and len(calls) == 4      # a new file
    assert load().services["a"].image == "other" and len(calls) == 4
    (tmp_path / ".env").write_text("TAG=3\n")
    load()
    assert len(calls) == 5
    monkeypatch.setenv("PYCOMPOSE_NO_PROJECT_CACHE", "1")
    load()
    assert len(calls) == 6
    assert all(oct(p.stat().st_mode)[-3:] == "600" for p in cache.glob("*.pickle"))


def test_namespace_parents_resolved_to_container_ids(fake_engine, monkeypatch, tmp_path, capsys):
    """Only network_mode/ipc/pid service:X and volumes_from need the parent's container id at
    create time; the spec then names that container."""
    monkeypatch.setattr(GlobalOptions, "engine", lambda self: fake_engine)
    monkeypatch.setattr("compose.cli.app.COMMAND_MODULES", ["compose.cli.project_cmd"])
    monkeypatch.setenv("PYCOMPOSE_RUNROOT", str(tmp_path / "run"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text("""
name: ns
services:
  a:
    image: busybox
  b:
    image: busybox
    network_mode: "service:a"
    ipc: "service:a"
    volumes_from: ["a:ro"]
  c:
    image: busybox
    depends_on: [a]
""")
    assert cli_run(["--progress", "plain", "up", "-d"]) == 0
    a = fake_engine.containers.inspect("ns-a-1")
    b = fake_engine.containers.inspect("ns-b-1").spec
    assert b.network_mode == f"container:{a.id}" and b.ipc_mode == f"container:{a.id}"
    assert b.volumes_from == (f"{a.id}:ro",)
    from compose.executor import namespace_parents
    from compose.loader import LoadOptions, load_project
    project = load_project(LoadOptions())
    assert namespace_parents(project.services["b"]) == ["a"]
    assert namespace_parents(project.services["c"]) == []
    # run: the one-off joins the same parent (it exits at once: a fake container without an
    # exit behaviour runs until stopped, and a foreground run would follow it for ever)
    fake_engine.behave("ns-b-run-*", exit_code=0)
    capsys.readouterr()
    assert cli_run(["--progress", "plain", "run", "--rm", "-T", "b", "true"]) == 0
    oneoff = [c for c in fake_engine.calls if c.startswith("container.create ns-b-run-")]
    assert len(oneoff) == 1 and f"container.remove {oneoff[0].split()[1]}" in fake_engine.calls


def test_foreground_run_of_a_never_ending_fake_container_fails_instead_of_hanging(
        fake_engine, monkeypatch, tmp_path, capsys):
    """The suite once hung for good here: `run` of a fake container without an exit
    behaviour followed its logs for ever. The fake engine now reports it as an error."""
    monkeypatch.setattr(GlobalOptions, "engine", lambda self: fake_engine)
    monkeypatch.setattr("compose.cli.app.COMMAND_MODULES", ["compose.cli.project_cmd"])
    monkeypatch.setattr("compose.testing.fake_engine.FOREVER_LIMIT", 0.2)
    monkeypatch.setenv("PYCOMPOSE_RUNROOT", str(tmp_path / "run"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text("name: forever\nservices:\n  a:\n    image: busybox\n")
    capsys.readouterr()
    assert cli_run(["--progress", "plain", "run", "--rm", "-T", "a", "true"]) == 1
    err = capsys.readouterr().err
    assert "runs until stopped and nothing stopped it" in err and "forever-a-run-" in err
    assert not fake_engine.containers.list(all=True)            # --rm still removed it
