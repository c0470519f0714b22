"""Restart policies across a (simulated) reboot, and streaming `container stats`."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from engine.runtime.shimstate import alive, boot_id
from engine.types import RestartPolicy

from tests.fixtures.containers import start_ctr

pytestmark = pytest.mark.root


def _kill_like_a_reboot(eng, cid):
    """Shim and PID 1 die without a word; the state still says running (old boot id)."""
    st = eng.containers.store.state_file(cid).read()
    os.kill(st["shim_pid"], signal.SIGKILL)
    os.kill(st["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while (alive(st["pid"], st["pid_start"]) or alive(st["shim_pid"], st["shim_start"])) \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    eng.containers.store.state_file(cid).update(boot_id="a-previous-boot")


def test_first_use_after_a_new_boot_restarts_always_and_unless_stopped(ceng):
    ctr = ceng.containers
    always = start_ctr(ceng, ["sleep", "600"], restart_policy=RestartPolicy(name="always"))
    unless = start_ctr(ceng, ["sleep", "600"], restart_policy=RestartPolicy(name="unless-stopped"))
    stopped = start_ctr(ceng, ["sleep", "600"], restart_policy=RestartPolicy(name="unless-stopped"))
    plain = start_ctr(ceng, ["sleep", "600"])
    ctr.stop(stopped.id, timeout=1)
    never = ctr.create(type(always.spec)(image="busybox", command=("sleep", "600"),
                                         network_mode="none",
                                         restart_policy=RestartPolicy(name="always")))
    for info in (always, unless, plain):
        _kill_like_a_reboot(ceng, info.id)
    ctr.store.state_file(stopped.id).update(boot_id="a-previous-boot")
    (ceng.layout.runroot / "boot_id").write_text("a-previous-boot\n")

    fresh = type(ceng)(ceng.layout.root, ceng.layout.runroot).containers   # first use
    status = {i.id: i.state.status for i in fresh.list(all=True)}
    assert status[always.id] == "running" and status[unless.id] == "running"
    assert status[stopped.id] == "exited" and status[plain.id] == "exited"
    assert status[never.id] == "created"
    assert ctr.store.state_file(always.id).read()["boot_id"] == boot_id()
    assert (ceng.layout.runroot / "boot_id").read_text().strip() == boot_id()
    assert fresh.boot() == []                       # once per boot: nothing left to start


def test_system_boot_command_starts_them(ceng):
    info = start_ctr(ceng, ["sleep", "600"], restart_policy=RestartPolicy(name="always"))
    _kill_like_a_reboot(ceng, info.id)
    env = dict(os.environ, PYCOMPOSE_ROOT=str(ceng.layout.root),
               PYCOMPOSE_RUNROOT=str(ceng.layout.runroot))
    res = subprocess.run([sys.executable, "-m", "compose", "system", "boot"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [info.id]
    assert ceng.containers.inspect(info.id).state.running


def test_stats_streams_json_lines_until_the_container_is_gone(ceng):
    from compose.cli.container_cmd.stats import run_stats
    busy = start_ctr(ceng, ["sh", "-c", "while :; do :; done"], name="busy")
    out = io.StringIO()
    assert run_stats(ceng, ["busy"], False, False, "json", out=out, interval=0.3, rounds=3) == 0
    docs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(docs) == 3 and {d["Name"] for d in docs} == {"busy"}
    assert sorted(docs[0]) == ["BlockIO", "CPUPerc", "Container", "ID", "MemPerc", "MemUsage",
                               "Name", "NetIO", "PIDs"]
    assert docs[0]["ID"] == busy.id[:12] and docs[-1]["PIDs"] == "1"
    assert any(float(d["CPUPerc"].rstrip("%")) > 1.0 for d in docs)
    ceng.containers.remove(busy.id, force=True)
    out = io.StringIO()
    run_stats(ceng, [], False, False, "", out=out, interval=0.2, rounds=2)
    assert out.getvalue().splitlines()[0].split("   ")[0] == "CONTAINER ID"


def test_stats_cli_streams_by_default_and_no_stream_is_one_table(ceng):
    start_ctr(ceng, ["sleep", "600"], name="idle")
    env = dict(os.environ, PYCOMPOSE_ROOT=str(ceng.layout.root),
               PYCOMPOSE_RUNROOT=str(ceng.layout.runroot))
    cli = [sys.executable, "-m", "compose", "container", "stats"]
    one = subprocess.run(cli + ["--no-stream"], env=env, capture_output=True, text=True,
                         timeout=60)
    lines = one.stdout.splitlines()
    assert one.returncode == 0 and len(lines) == 2
    assert lines[0].split() == ["CONTAINER", "ID", "NAME", "CPU", "%", "MEM", "USAGE", "/",
                                "LIMIT", "MEM", "%", "NET", "I/O", "BLOCK", "I/O", "PIDS"]
    assert lines[1].split()[1] == "idle"
    proc = subprocess.Popen(cli + ["--format", "json", "idle"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first, second = proc.stdout.readline(), proc.stdout.readline()
        assert json.loads(first)["Name"] == json.loads(second)["Name"] == "idle"
        assert proc.poll() is None                  # still streaming
    finally:
        proc.kill()
        proc.communicate(timeout=10)
