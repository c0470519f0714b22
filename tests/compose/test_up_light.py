"""The no-op `up -d` fast path (compose/cli/up_light.py) on the REAL engine: same output and
exit code as the full path, taken only when there is nothing to do, and every change (a
stopped, killed, removed or reconfigured container, an orphan) still goes the full path.

Each `pycompose` run is a subprocess (the fast path is about what a fresh process imports).
The project cache keys entries on the whole environment, so every variant of the environment
runs once to fill its entry before the run that is compared.
"""
from __future__ import annotations

import fcntl
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.root

REPO = Path(__file__).resolve().parents[2]

PROJECT = """
name: {name}
services:
  db:
    image: busybox
    command: ["sleep", "300"]
    networks: [back]
    volumes: [data:/data]
    stop_grace_period: 1s
  web:
    image: busybox:latest
    command: ["sleep", "301"]
    networks: [front, back]
    depends_on: [db]
    scale: 2
    stop_grace_period: 1s
  {extra}
networks:
  front: {{}}
  back: {{}}
volumes:
  data: {{}}
"""
HEAVY = ("typer", "compose.cli.app", "engine.runtime.service", "engine.network.service",
         "engine.images.service", "engine.volumes.service", "compose.hashing", "engine.types",
         "json", "typing", "pathlib")


@pytest.fixture
def proj(engine, busybox_image, engine_dirs, tmp_path):
    root, runroot = engine_dirs
    name = "light" + uuid.uuid4().hex[:8]
    env = dict(os.environ, PYTHONPATH=str(REPO), PYCOMPOSE_ROOT=str(root),
               PYCOMPOSE_RUNROOT=str(runroot))
    for var in ("COMPOSE_FILE", "COMPOSE_PROJECT_NAME", "COMPOSE_PROGRESS", "PYCOMPOSE_NO_LIGHT_UP",
                "COMPOSE_REMOVE_ORPHANS", "COMPOSE_IGNORE_ORPHANS", "COMPOSE_STATUS_STDOUT"):
        env.pop(var, None)

    def write(extra: str = "") -> None:
        (tmp_path / "compose.yaml").write_text(PROJECT.format(name=name, extra=extra))

    def pc(*args, light: bool = True, importtime: bool = False, stderr=None, **more_env):
        run_env = dict(env, **more_env)
        if not light:
            run_env["PYCOMPOSE_NO_LIGHT_UP"] = "1"
        cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "compose", *args]
        if stderr is not None:
            return subprocess.run(cmd, cwd=tmp_path, env=run_env, stdout=subprocess.PIPE,
                                  stderr=stderr, text=True, timeout=120)
        return subprocess.run(cmd, cwd=tmp_path, env=run_env, capture_output=True, text=True,
                              timeout=120)

    write()
    pc.write, pc.name, pc.engine, pc.root, pc.dir = write, name, engine, str(root), tmp_path
    yield pc
    pc("down", "-v", "--remove-orphans", "-t", "0", light=False)


def _imported(stderr: str) -> list[str]:
    """Modules imported from the moment the compose package was (what site imported at
    start-up — this sandbox's interpreter loads certifi from a .pth — is not ours)."""
    names = [line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines()
             if line.startswith("import time:")]
    return names[names.index("compose"):] if "compose" in names else names


def _messages(stderr: str) -> str:
    return "".join(line for line in stderr.splitlines(keepends=True)
                   if not line.startswith("import time:"))


def _noop(pc, *args, **env):
    """(light run, full run) of a no-op `up -d`, each after a run that fills its cache entry."""
    pc("up", "-d", *args, **env)
    pc("up", "-d", *args, light=False, **env)
    light = pc("up", "-d", *args, importtime=True, **env)
    full = pc("up", "-d", *args, light=False, **env)
    return light, full


def _assert_light(result) -> None:
    imported = _imported(result.stderr)
    assert "compose.cli.up_light" in imported
    assert [m for m in HEAVY if m in imported] == []


def test_noop_up_prints_the_same_and_imports_nothing_heavy(proj):
    first = proj("up", "-d")
    assert first.returncode == 0, first.stderr
    light, full = _noop(proj)
    assert (light.returncode, light.stdout, _messages(light.stderr)) == \
        (full.returncode, full.stdout, full.stderr)
    assert full.stderr.splitlines() == [f"Container {proj.name}-db-1 Running",
                                        f"Container {proj.name}-web-1 Running",
                                        f"Container {proj.name}-web-2 Running"]
    _assert_light(light)
    # progress to a closed pipe: the same exit code (and no traceback) on both paths
    r, w = os.pipe()
    os.close(r)
    try:
        closed = [proj("up", "-d", light=flag, stderr=w) for flag in (True, False)]
    finally:
        os.close(w)
    assert closed[0].returncode == closed[1].returncode
    # one service (its dependency reported too), progress on stdout, quiet and json progress
    for args, env in ((("web",), {}), (("web",), {"COMPOSE_STATUS_STDOUT": "1"}),
                      ((), {"COMPOSE_PROGRESS": "quiet"}), ((), {"COMPOSE_PROGRESS": "json"})):
        light, full = _noop(proj, *args, **env)
        assert (light.returncode, light.stdout, _messages(light.stderr)) == \
            (full.returncode, full.stdout, full.stderr), (args, env)
        assert "compose.cli.up_light" in _imported(light.stderr)
        assert "engine.runtime.service" not in _imported(light.stderr)


def test_services_outside_the_selection_are_no_orphans(proj):
    """`up -d db` with web and worker running: no orphan warning on either path (Docker
    Compose counts only containers of services missing from the whole file as orphans)."""
    proj.write(extra="worker:\n    image: busybox\n    command: [\"sleep\", \"300\"]\n"
                     "    networks: [back]\n    stop_grace_period: 1s")
    assert proj("up", "-d").returncode == 0
    light, full = _noop(proj, "db")
    assert "orphan" not in full.stderr and "orphan" not in light.stderr
    assert (light.returncode, _messages(light.stderr)) == (full.returncode, full.stderr)
    _assert_light(light)


HEALTHY = """
name: {name}
services:
  db:
    image: busybox
    command: ["sleep", "300"]
    healthcheck: {{test: ["CMD", "true"], interval: 1s, start_interval: 1s}}
    stop_grace_period: 1s
  web:
    image: busybox
    command: ["sleep", "301"]
    depends_on: {{db: {{condition: service_healthy}}}}
    stop_grace_period: 1s
"""


def test_noop_up_waits_for_a_healthy_dependency_on_both_paths(proj):
    """Docker Compose's start phase waits for web's healthy dependency also when web is
    running: a no-op `up -d` prints Waiting/Healthy (the light path hands over to the full one)."""
    (proj.dir / "compose.yaml").write_text(HEALTHY.format(name=proj.name))
    first = proj("up", "-d")
    assert first.returncode == 0, first.stderr
    light, full = _noop(proj)
    assert full.stderr.splitlines() == [f"Container {proj.name}-db-1 Running",
                                        f"Container {proj.name}-web-1 Running",
                                        f"Container {proj.name}-db-1 Waiting",
                                        f"Container {proj.name}-db-1 Healthy"]
    assert (light.returncode, _messages(light.stderr)) == (full.returncode, full.stderr)
    assert "engine.runtime.service" in _imported(light.stderr)      # the full path ran


def test_loader_warnings_are_printed_once_and_the_same(proj):
    (proj.dir / "compose.yaml").write_text('version: "3"\n' + PROJECT.format(name=proj.name, extra="")
                                           .replace("sleep\", \"300", "sleep\", \"${H2_UNSET_X}300"))
    assert proj("up", "-d").returncode == 0
    light, full = _noop(proj)
    untimed = [re.sub(r'^time="[^"]*" ', "", line) for line in _messages(light.stderr).splitlines()]
    assert untimed == [re.sub(r'^time="[^"]*" ', "", line) for line in full.stderr.splitlines()]
    assert full.stderr.count("H2_UNSET_X") == 1 and full.stderr.count("obsolete") == 1
    _assert_light(light)


def test_changes_still_take_the_full_path(proj):
    assert proj("up", "-d").returncode == 0
    eng, name = proj.engine, proj.name
    _noop(proj)                                      # both cache entries filled
    # a stopped container is started again
    eng.containers.stop(f"{name}-web-2", timeout=0)
    light = proj("up", "-d")
    assert f"Container {name}-web-2 Started" in light.stderr, light.stderr
    assert eng.containers.inspect(f"{name}-web-2").state.running
    # a killed PID 1 whose shim is gone too: the store reconciles it, up starts it
    info = eng.containers.inspect(f"{name}-db-1")
    os.kill(info.state.pid, signal.SIGKILL)
    st = eng.containers.store.state_file(info.id).read()
    if st.get("shim_pid"):
        try:
            os.kill(st["shim_pid"], signal.SIGKILL)
        except ProcessLookupError:
            pass
    _wait_gone(info.state.pid)
    light = proj("up", "-d")
    assert light.returncode == 0, light.stderr
    assert eng.containers.inspect(f"{name}-db-1").state.running
    # a removed container is replaced (numbers continue after the highest, like Docker)
    eng.containers.remove(f"{name}-web-1", force=True)
    light = proj("up", "-d")
    assert f"Container {name}-web-3 Created" in light.stderr, light.stderr
    # a changed service config recreates that service
    (proj.dir / "compose.yaml").write_text(PROJECT.format(name=name, extra="").replace('"301"', '"302"'))
    light = proj("up", "-d")
    assert f"Container {name}-web-3 Recreate" in light.stderr, light.stderr
    assert eng.containers.inspect(f"{name}-web-3").spec.command == ("sleep", "302")
    # a service gone from the file: the orphan warning, identical on both paths
    proj.write(extra="extra:\n    image: busybox\n    command: [\"sleep\", \"300\"]\n"
                     "    networks: [back]\n    stop_grace_period: 1s")
    assert proj("up", "-d").returncode == 0
    proj.write()
    light, full = _noop(proj)
    assert "orphan containers" in full.stderr and "compose.cli.up_light" in _imported(light.stderr)
    assert (light.returncode, _messages(light.stderr)) == (full.returncode, full.stderr)
    assert "engine.runtime.service" in _imported(light.stderr)      # the full path ran


def _wait_gone(pid: int) -> None:
    import time
    for _ in range(200):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] in "ZX":
                    return
        except OSError:
            return
        time.sleep(0.02)


def test_held_project_lock_and_unusual_flags_take_the_full_path(proj, monkeypatch, capsys):
    from compose.cli import up_light
    assert proj("up", "-d").returncode == 0
    _noop(proj)
    monkeypatch.chdir(proj.dir)
    for var in ("PYCOMPOSE_NO_LIGHT_UP", "COMPOSE_PROGRESS", "COMPOSE_FILE", "COMPOSE_PROJECT_NAME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PYCOMPOSE_ROOT", proj.root)
    monkeypatch.setenv("PYCOMPOSE_RUNROOT", str(proj.engine.layout.runroot))
    assert up_light.try_up(["up", "-d"]) is None          # this environment's first run: a miss
    from compose.cli.main import run
    assert run(["up", "-d"]) == 0                          # fills the entry (full path)
    capsys.readouterr()
    assert up_light.try_up(["up", "-d"]) == 0
    assert capsys.readouterr().err.count(" Running\n") == 3
    lock = proj.engine.layout.lock_file(f"project-{proj.name}")
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert up_light.try_up(["up", "-d"]) is None       # the full path waits for the lock
    finally:
        os.close(fd)
    assert capsys.readouterr() == ("", "")
    for argv in (["up"], ["up", "-d", "--dry-run"], ["--dry-run", "up", "-d"],
                 ["--progress", "plain", "up", "-d"], ["up", "-d", "--pull", "always"],
                 ["up", "-d", "-h"], ["up", "--wait"], ["up", "-d", "nosuch"], ["up", "-d", "--"],
                 ["-f"], ["-f", "up", "-d"], ["-fcompose.yaml", "up", "-d"]):
        assert up_light.try_up(argv) is None, argv
    assert capsys.readouterr() == ("", "")


def test_parse_argv_reads_global_options_like_typer(monkeypatch):
    from compose.cli.up_light import parse_argv
    monkeypatch.delenv("PYCOMPOSE_ROOT", raising=False)
    monkeypatch.delenv("COMPOSE_PARALLEL_LIMIT", raising=False)
    monkeypatch.setenv("PYCOMPOSE_RUNROOT", "")
    opts, services = parse_argv(["-f", "a.yaml", "--file=b.yaml", "-p", "x", "--profile", "dev",
                                 "--env-file", "e", "--project-directory", "d", "--root", "/r",
                                 "up", "web", "--detach", "db"])
    assert (opts.files, opts.project_name, opts.profiles, opts.env_files, opts.project_directory,
            opts.root, opts.runroot, services) == (["a.yaml", "b.yaml"], "x", ["dev"], ["e"], "d",
                                                   "/r", None, ["web", "db"])
    assert opts.progress == "auto" and opts.ansi == "auto" and not opts.dry_run
    monkeypatch.setenv("COMPOSE_PARALLEL_LIMIT", "many")             # typer: a usage error
    assert parse_argv(["up", "-d"]) is None


def test_light_observe_matches_observe(proj, engine_dirs, monkeypatch):
    """observe_light (engine records through the query modules) sees what observe (the
    engine services) sees: containers, networks, volumes and image ids the planner reads."""
    from compose import project_cache
    from compose.loader import LoadOptions
    from compose.observe import observe
    from compose.observe_light import observe_light
    assert proj("up", "-d").returncode == 0
    root, runroot = engine_dirs
    monkeypatch.chdir(proj.dir)
    monkeypatch.delenv("COMPOSE_FILE", raising=False)
    monkeypatch.delenv("COMPOSE_PROJECT_NAME", raising=False)
    opts = LoadOptions()
    cache = os.path.join(str(runroot), "compose-cache")
    project = project_cache.load_cached(opts, cache)
    project, derived = project_cache.read_entry(project_cache.entry_path(opts, cache), opts)
    proj.engine.containers.pause(f"{proj.name}-web-2")
    try:
        light = observe_light(str(root), project, derived["images"])
        full = observe(proj.engine, project)
    finally:
        proj.engine.containers.unpause(f"{proj.name}-web-2")

    def containers(obs):
        return [(c.id, c.name, c.image, c.image_id, c.labels, c.networks, c.state.status,
                 c.state.running) for c in obs.containers]
    assert containers(light) == containers(full)
    assert {c.state.status for c in light.containers} == {"running", "paused"}
    assert {k: (n.id, n.labels) for k, n in light.networks.items()} == \
        {k: (n.id, n.labels) for k, n in full.networks.items()}
    assert sorted(light.networks) == sorted(f"{proj.name}_{k}" for k in ("front", "back"))
    assert {k: v.labels for k, v in light.volumes.items()} == \
        {k: v.labels for k, v in full.volumes.items() if k in light.volumes}
    assert list(light.volumes) == [f"{proj.name}_data"]
    assert light.image_ids == full.image_ids and all(light.image_ids.values())
    # a stale endpoint (its netns is gone) on a project network: the network service would
    # prune it while listing, so the light observe is not sure
    rec = next(n for n in full.networks.values())
    eps_path = proj.engine.layout.network_dir(rec.id) / "endpoints.json"
    import json
    doc = json.loads(eps_path.read_text())
    doc["endpoints"]["0" * 64] = {"netns": "/run/h2-no-such-netns", "veth": ""}
    eps_path.write_text(json.dumps(doc))
    assert observe_light(str(root), project, derived["images"]) is None
    observe(proj.engine, project)                         # prunes it
    assert observe_light(str(root), project, derived["images"]) is not None
