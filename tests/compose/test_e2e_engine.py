"""End-to-end: the project CLI on the REAL engine (namespaces, overlayfs, bridges).

Each test uses a private engine root (engine_dirs), imports busybox:latest (busybox_image),
runs `pycompose` in-process or as a subprocess, and always ends with `down -v`.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

pytest.importorskip("engine.runtime.service", reason="the container runtime service is not merged yet")

pytestmark = pytest.mark.root

from compose.cli.main import run as cli_run  # noqa: E402


def _port() -> int:
    return random.randint(20000, 40000)


@pytest.fixture
def engine_dirs(tmp_path_factory):
    """A private engine root; the run dir is kept short (/run/pc-<hex>) because container
    sockets live under it and AF_UNIX paths are limited to 107 bytes."""
    import shutil
    root = tmp_path_factory.mktemp("engine-root")
    runroot = Path("/run") / f"pc-{uuid.uuid4().hex[:8]}"
    runroot.mkdir(parents=True)
    yield root, runroot
    from tests.fixtures.base import remove_default_bridges
    remove_default_bridges(root)           # the default bridge outlives its containers (docker0)
    shutil.rmtree(runroot, ignore_errors=True)


@pytest.fixture
def proj(engine_dirs, engine, busybox_image, tmp_path, monkeypatch, capsys):
    """A project directory plus a `pc(*args)` runner bound to the private engine."""
    root, runroot = engine_dirs
    name = "e2e" + uuid.uuid4().hex[:8]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("compose.cli.app.COMMAND_MODULES", ["compose.cli.project_cmd"])
    base = ["--root", str(root), "--runroot", str(runroot), "-p", name, "--progress", "plain"]

    def pc(*args, text: str | None = None):
        if text is not None:
            (tmp_path / "compose.yaml").write_text(text)
        capsys.readouterr()
        code = cli_run([*base, *args])
        out, err = capsys.readouterr()
        return code, out, err

    def sub(*args, **kw):
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
        return subprocess.Popen([sys.executable, "-m", "compose", *base, *args], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    pc.name, pc.sub, pc.dir = name, sub, tmp_path
    pc.engine = engine
    yield pc
    pc("down", "-v", "--remove-orphans", "-t", "1")


STACK = """
services:
  db:
    image: busybox
    command: ["sh", "-c", "touch /tmp/ready; echo db up; exec sleep 300"]
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 5
  web:
    image: busybox
    command: ["sh", "-c", "echo hello > /data/index.html; exec httpd -f -p 80 -h /data"]
    ports: ["{port}:80"]
    depends_on:
      db:
        condition: service_healthy
    volumes:
      - data:/data
    stop_grace_period: 1s
  worker:
    image: busybox
    command: ["sh", "-c", "while true; do wget -q -O- http://web/ && sleep 1; done"]
    depends_on: [web]
    stop_grace_period: 1s
volumes:
  data: {{}}
"""


def test_up_ps_logs_exec_run_scale_down(proj):
    port = _port()
    code, out, err = proj("up", "-d", text=STACK.format(port=port))
    assert code == 0, err
    code, out, err = proj("ps", "--format", "json")
    import json
    rows = {json.loads(line)["Service"]: json.loads(line) for line in out.splitlines()}
    assert set(rows) == {"db", "web", "worker"} and all(r["State"] == "running" for r in rows.values())
    assert rows["db"]["Health"] == "healthy"
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
    assert body == b"hello\n"
    code, out, err = proj("logs", "--no-color", "db")
    assert "db-1  | db up" in out
    deadline = time.time() + 10
    while time.time() < deadline:                       # worker reaches web by service name
        if "hello" in proj("logs", "worker")[1]:
            break
        time.sleep(0.5)
    assert "hello" in proj("logs", "worker")[1]
    code, out, err = proj("exec", "-T", "web", "cat", "/data/index.html")
    assert code == 0 and out == "hello\n"
    code, out, err = proj("run", "--rm", "--no-deps", "-T", "db", "sh", "-c", "echo one-off; exit 4")
    assert code == 4 and "one-off" in out
    assert proj("scale", "worker=2")[0] == 0
    assert "-worker-2" in proj("ps")[1]
    assert proj("up", "-d", text=STACK.format(port=port))[0] == 0      # nothing to do, scale back to 1
    assert "-worker-2" not in proj("ps")[1]
    code, out, err = proj("down", "-v")
    assert code == 0, err
    assert proj.engine.containers.list(all=True) == []
    assert [n for n in proj.engine.networks.list() if n.name.startswith(proj.name)] == []
    assert [v for v in proj.engine.volumes.list() if v.name.startswith(proj.name)] == []


ABORT = """
services:
  quick:
    image: busybox
    command: ["sh", "-c", "echo bye; exit 3"]
  slow:
    image: busybox
    command: ["sleep", "300"]
    stop_grace_period: 1s
"""


def test_abort_on_container_exit_code(proj):
    code, out, err = proj("up", "--abort-on-container-exit", "--no-color", text=ABORT)
    assert code == 3, err
    assert "quick-1  | bye" in out


ONESHOT = """
services:
  init:
    image: busybox
    command: ["true"]
  app:
    image: busybox
    command: ["sleep", "300"]
    stop_grace_period: 1s
    depends_on:
      init:
        condition: service_completed_successfully
"""


def test_up_wait_accepts_completed_one_shot(proj):
    code, out, err = proj("up", "--wait", text=ONESHOT)
    assert code == 0, err


MANY = "services:\n" + "".join(
    f"  s{i}:\n    image: busybox\n    command: [\"sleep\", \"300\"]\n    stop_grace_period: 1s\n"
    for i in range(6))


def test_two_concurrent_ups_converge(proj):
    (proj.dir / "compose.yaml").write_text(MANY)
    a, b = proj.sub("up", "-d"), proj.sub("up", "-d")
    assert a.wait(120) == 0, a.stderr.read()
    assert b.wait(120) == 0, b.stderr.read()
    names = sorted(c.name for c in proj.engine.containers.list(all=True))
    assert names == sorted(f"{proj.name}-s{i}-1" for i in range(6))
    assert len([n for n in proj.engine.networks.list() if n.name == f"{proj.name}_default"]) == 1


def test_kill9_mid_up_then_converge_and_down(proj):
    (proj.dir / "compose.yaml").write_text(MANY)
    p = proj.sub("up", "-d")
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None:       # kill it once creation has begun
        if proj.engine.containers.list(all=True):
            break
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert len(proj.engine.containers.list()) < 6               # it really died mid-way
    code, out, err = proj("up", "-d")
    assert code == 0, err
    running = [c for c in proj.engine.containers.list() if c.name.startswith(proj.name)]
    assert len(running) == 6
    assert proj("down")[0] == 0
    assert proj.engine.containers.list(all=True) == []


SECRETS = """
services:
  app:
    image: busybox
    command: ["sleep", "300"]
    stop_grace_period: 1s
    secrets:
      - source: token
        mode: 0400
        uid: "1000"
      - from_file
    configs:
      - source: settings
        target: /etc/app/settings.conf
secrets:
  token:
    environment: E2E_TOKEN
  from_file:
    file: ./secret.txt
configs:
  settings:
    content: "debug=true"
"""


def test_secrets_configs_stop_start(proj, monkeypatch):
    monkeypatch.setenv("E2E_TOKEN", "s3cr3t")
    (proj.dir / "secret.txt").write_text("from a file\n")
    code, out, err = proj("up", "-d", text=SECRETS)
    assert code == 0, err
    code, out, err = proj("exec", "-T", "app", "sh", "-c",
                          "cat /run/secrets/token; echo; stat -c '%a %u' /run/secrets/token; "
                          "cat /run/secrets/from_file /etc/app/settings.conf; echo; "
                          "stat -c '%a' /etc/app/settings.conf")
    assert code == 0, err
    assert out.splitlines() == ["s3cr3t", "400 1000", "from a file", "debug=true", "444"]
    code, out, err = proj("stop", "-t", "1")
    assert code == 0 and "Stopped" in err
    assert proj("ps", "-q")[1] == ""
    assert proj("start")[0] == 0
    assert len(proj("ps", "-q")[1].split()) == 1


RESTARTING = """
services:
  flaky:
    image: busybox
    command: ["sh", "-c", "echo run; sleep 0.5; exit 1"]
    restart: always
  steady:
    image: busybox
    command: ["sh", "-c", "echo steady; exec sleep 300"]
    stop_grace_period: 1s
"""


def test_attached_up_refollows_restarts_and_ctrl_c_stops_gracefully(proj):
    (proj.dir / "compose.yaml").write_text(RESTARTING)
    p = proj.sub("up", "--no-color")
    lines = []
    deadline = time.time() + 60
    while time.time() < deadline and sum("flaky-1   | run" in line for line in lines) < 2:
        line = p.stdout.readline()
        if not line:
            break
        lines.append(line)
    assert sum("flaky-1   | run" in line for line in lines) >= 2, lines   # re-followed after restart
    assert any("steady-1  | steady" in line for line in lines)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert "Gracefully Stopping... press Ctrl+C again to force" in err
    assert [c for c in proj.engine.containers.list() if c.name.startswith(proj.name)] == []


def test_example_scaled_service_reached_by_name(proj):
    example = Path(__file__).resolve().parents[2] / "examples" / "scaled" / "compose.yaml"
    code, out, err = proj("-f", str(example), "up", "-d")
    assert code == 0, err
    try:
        hostnames = set()
        for c in proj.engine.containers.list():
            if c.labels.get("com.docker.compose.service") == "api" and c.name.startswith(proj.name):
                hostnames.add(c.id[:12])
        assert len(hostnames) == 3
        code, out, err = proj("-f", str(example), "exec", "-T", "client", "nslookup", "api")
        assert code == 0, err
        answers = {line.split()[-1] for line in out.splitlines()[2:] if line.startswith("Address")}
        assert len(answers) == 3, out                      # every replica's address
        code, out, err = proj("-f", str(example), "exec", "-T", "client", "wget", "-q", "-O-",
                              "http://api:8000/")
        assert code == 0 and out.strip() in hostnames
    finally:
        proj("-f", str(example), "down", "-t", "1")


ANON = """
services:
  app:
    image: busybox
    command: ["sleep", "300"]
    stop_grace_period: 1s
    environment:
      V: "{v}"
    volumes:
      - /data
"""


def test_recreate_keeps_anonymous_volumes_unless_renewed(proj):
    assert proj("up", "-d", text=ANON.format(v=1))[0] == 0
    assert proj("exec", "-T", "app", "sh", "-c", "echo kept > /data/f")[0] == 0
    code, out, err = proj("up", "-d", text=ANON.format(v=2))
    assert code == 0 and "Recreate" in err
    assert proj("exec", "-T", "app", "cat", "/data/f")[1] == "kept\n"
    code, out, err = proj("up", "-d", "-V", text=ANON.format(v=3))
    assert code == 0, err
    assert proj("exec", "-T", "app", "cat", "/data/f")[0] != 0


def test_run_on_a_fresh_project_creates_its_network_and_volume(proj):
    """`run` with no dependencies (and with --no-deps) still creates the networks and volumes
    its container needs, as Docker Compose does; piped stdin into a container that exits at
    once is not an error."""
    code, out, err = proj("run", "--rm", "-T", "job", "sh", "-c", "echo ok > /data/f; cat /data/f",
                          text="""
services:
  job:
    image: busybox
    volumes: [store:/data]
volumes:
  store: {}
""")
    assert code == 0, err
    assert "ok" in out
    assert proj.engine.networks.inspect(f"{proj.name}_default")
    assert proj.engine.volumes.inspect(f"{proj.name}_store")
    code, out, err = proj("run", "--rm", "--no-deps", "-T", "job", "sh", "-c", "exit 3")
    assert code == 3, err
    p = proj.sub("run", "--rm", "-T", "job", "true", stdin=subprocess.PIPE)
    _out, err = p.communicate(input="data the container never reads\n" * 1000, timeout=60)
    assert p.returncode == 0, err
    assert "Traceback" not in err
