"""On the REAL engine: a changed network is re-created under its containers, a changed
volume is re-created only when the user agrees (-y), `restart` takes restart:true dependents
along, `up --menu` detaches on `d` (through a pseudo-terminal), `run --rm` relays output and
exit code and leaves nothing behind."""
from __future__ import annotations

import os
import select
import sys
import time
from pathlib import Path

import pytest

from tests.compose.test_e2e_engine import engine_dirs, proj  # noqa: F401 - fixtures

pytestmark = pytest.mark.root

NETS = """
services:
  a:
    image: busybox
    command: ["sh", "-c", "echo $$TIER > /data/tier 2>/dev/null; exec sleep 300"]
    networks: [back]
    volumes: [store:/data]
    stop_grace_period: 1s
  b:
    image: busybox
    command: ["sleep", "300"]
    stop_grace_period: 1s
    depends_on:
      a: {{condition: service_started, restart: true}}
  c:
    image: busybox
    command: ["sleep", "300"]
    stop_grace_period: 1s
    depends_on: [a]
networks:
  back:
    labels: {{tier: "{tier}"}}
volumes:
  store:
    labels: {{keep: "{keep}"}}
"""


def _started(engine, name: str) -> str:
    return engine.containers.inspect(name).state.started_at


def test_changed_network_and_volume(proj):
    code, out, err = proj("up", "-d", text=NETS.format(tier="1", keep="1"))
    assert code == 0, err
    net = proj.engine.networks.inspect(f"{proj.name}_back")
    assert len(net.labels["com.docker.compose.config-hash"]) == 64
    assert len(proj.engine.volumes.inspect(f"{proj.name}_store").labels[
        "com.docker.compose.config-hash"]) == 64
    assert proj("exec", "-T", "a", "sh", "-c", "echo kept > /data/f")[0] == 0
    code, out, err = proj("up", "-d", text=NETS.format(tier="2", keep="1"))
    assert code == 0, err
    assert f"Network {proj.name}_back Removed" in err and f"Network {proj.name}_back Created" in err
    new = proj.engine.networks.inspect(f"{proj.name}_back")
    assert new.labels["tier"] == "2" and new.id != net.id
    a = proj.engine.containers.inspect(f"{proj.name}-a-1")
    assert a.state.running and f"{proj.name}_back" in a.networks
    code, out, err = proj("exec", "-T", "a", "ip", "-4", "addr")
    assert code == 0 and "eth0" in out
    # volume: no answer keeps it (and its data), -y recreates it empty
    code, out, err = proj("up", "-d", text=NETS.format(tier="2", keep="2"))
    assert code == 0, err
    assert "Recreate (data will be lost)?" in out
    assert proj("exec", "-T", "a", "cat", "/data/f")[1] == "kept\n"
    code, out, err = proj("up", "-d", "-y", text=NETS.format(tier="2", keep="2"))
    assert code == 0, err
    assert proj.engine.volumes.inspect(f"{proj.name}_store").labels["keep"] == "2"
    assert proj("exec", "-T", "a", "ls", "/data/f")[0] != 0


def test_restart_dependents_and_run_rm(proj):
    code, out, err = proj("up", "-d", text=NETS.format(tier="1", keep="1"))
    assert code == 0, err
    before = {s: _started(proj.engine, f"{proj.name}-{s}-1") for s in "abc"}
    time.sleep(1.1)
    code, out, err = proj("restart", "a")
    assert code == 0, err
    after = {s: _started(proj.engine, f"{proj.name}-{s}-1") for s in "abc"}
    assert after["a"] != before["a"] and after["b"] != before["b"] and after["c"] == before["c"]
    assert err.index(f"Container {proj.name}-a-1 Started") < err.index(f"Container {proj.name}-b-1 Restarting")
    code, out, err = proj("run", "--rm", "-T", "c", "sh", "-c", "echo out; echo err >&2; exit 5")
    assert code == 5 and "out" in out
    oneoffs = [c for c in proj.engine.containers.list(all=True) if "-run-" in c.name]
    assert oneoffs == []


def test_up_menu_detach_keeps_containers_running(proj, engine_dirs):
    import pty
    (proj.dir / "compose.yaml").write_text(NETS.format(tier="1", keep="1"))
    root, runroot = engine_dirs
    root_args = ["--root", str(root), "--runroot", str(runroot), "-p", proj.name, "--progress", "plain"]
    pid, fd = pty.fork()
    if pid == 0:                                      # child: `pycompose up --menu` on the pty
        os.chdir(proj.dir)
        os.environ["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
        os.execv(sys.executable, [sys.executable, "-m", "compose", *root_args, "up", "--menu"])
    seen = b""
    deadline = time.time() + 60
    try:
        while b"Detach" not in seen or b"Attaching to" not in seen:
            assert time.time() < deadline, seen[-500:]
            if select.select([fd], [], [], 0.2)[0]:
                seen += os.read(fd, 65536)
        os.write(fd, b"w")
        while b"Watch is not yet configured" not in seen:
            assert time.time() < deadline, seen[-500:]
            if select.select([fd], [], [], 0.2)[0]:
                seen += os.read(fd, 65536)
        os.write(fd, b"d")
        while True:
            assert time.time() < deadline, seen[-500:]
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
        _, status = os.waitpid(pid, 0)
        pid = 0
    finally:
        if pid:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert b"\x1b[r" in seen                           # the scrolling region was restored
    running = [c.name for c in proj.engine.containers.list()]
    assert sorted(running) == [f"{proj.name}-{s}-1" for s in "abc"]
