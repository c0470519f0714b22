"""Faults: the CLI exits, the shim is killed, 50 cycles leave nothing behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from engine.runtime.shimstate import alive
from engine.types import ContainerSpec

from tests.fixtures.containers import start_ctr

pytestmark = pytest.mark.root


def _cli(eng, *args, **kw):
    env = dict(os.environ, PYCOMPOSE_ROOT=str(eng.layout.root),
               PYCOMPOSE_RUNROOT=str(eng.layout.runroot))
    env.pop("PYTHONDONTWRITEBYTECODE", None)      # cache bytecode: each CLI call is a new process
    return subprocess.run([sys.executable, "-m", "compose", *args], capture_output=True,
                          text=True, env=env, timeout=60, **kw)


def test_container_survives_the_cli(ceng):
    res = _cli(ceng, "container", "run", "-d", "--network", "none", "--name", "bg", "busybox",
               "sleep", "60")
    assert res.returncode == 0, res.stderr
    cid = res.stdout.strip()
    time.sleep(0.3)
    info = ceng.containers.inspect(cid)
    assert info.state.running and info.name == "bg"
    ps = _cli(ceng, "container", "ls", "--format", "{{.Names}} {{.State}}")
    assert ps.stdout.strip() == "bg running"


def test_killed_shim_ps_tells_the_truth_and_rm_cleans_up(ceng, cgroup_parent):
    info = start_ctr(ceng, ["sleep", "60"])
    st = ceng.containers.store.state_file(info.id).read()
    os.kill(st["shim_pid"], signal.SIGKILL)
    time.sleep(0.2)
    assert ceng.containers.inspect(info.id).state.status == "running"     # PID 1 still lives
    os.kill(st["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 5
    while alive(st["pid"], st["pid_start"]) and time.monotonic() < deadline:
        time.sleep(0.02)
    state = ceng.containers.inspect(info.id).state
    assert state.status == "exited" and not state.running
    assert not os.path.exists(f"/sys/fs/cgroup/memory/{cgroup_parent}/{info.id}")
    ceng.containers.remove(info.id)
    assert ceng.containers.list(all=True) == []


def test_stale_running_state_after_reboot_is_reconciled(ceng):
    info = ceng.containers.create(ContainerSpec(image="busybox", command=("true",)))
    ceng.containers.store.state_file(info.id).update(status="running", pid=999999, pid_start=1,
                                                     shim_pid=999998, shim_start=1)
    state = ceng.containers.inspect(info.id).state
    assert state.status == "exited" and state.exit_code == 255
    ceng.containers.remove(info.id)


def _ours(pid: str, eng, cgroup_parent: str) -> str:
    """'shim' / 'container' when the process belongs to this test's engine, else ''."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().decode(errors="replace")
        with open(f"/proc/{pid}/cgroup") as f:
            cgroup = f.read()
    except OSError:
        return ""
    if "engine.runtime.shim" in cmd and str(eng.layout.root) in cmd:
        return "shim"
    if f"/{cgroup_parent}/" in cgroup:
        return "container"
    return ""


def _snapshot(eng, cgroup_parent):
    roots = (str(eng.layout.root), str(eng.layout.runroot))
    with open("/proc/self/mountinfo") as f:
        mounts = sum(1 for line in f if any(r in line for r in roots))
    cgroups = 0
    for ctrl in ("memory", "pids", "cpu", "freezer", "devices", "cpuset", "blkio"):
        parent = os.path.join("/sys/fs/cgroup", ctrl, cgroup_parent)
        if os.path.isdir(parent):
            cgroups += sum(1 for e in os.scandir(parent) if e.is_dir())
    netns_dir = eng.layout.runroot / "netns"
    netns = len(os.listdir(netns_dir)) if netns_dir.is_dir() else 0
    kinds = [_ours(p, eng, cgroup_parent) for p in os.listdir("/proc") if p.isdigit()]
    run_dirs = len(os.listdir(eng.layout.runroot / "containers"))
    return {"mounts": mounts, "cgroups": cgroups, "netns": netns, "shims": kinds.count("shim"),
            "container_procs": kinds.count("container"), "run_dirs": run_dirs}


def test_fifty_cycles_leak_nothing(ceng, cgroup_parent):
    before = _snapshot(ceng, cgroup_parent)
    for i in range(50):
        info = ceng.containers.create(ContainerSpec(image="busybox", command=("sleep", "60"),
                                                    network_mode="bridge" if i % 10 == 0 else "none"))
        ceng.containers.start(info.id)
        ceng.containers.kill(info.id)
        ceng.containers.remove(info.id, force=True)
    after = _snapshot(ceng, cgroup_parent)
    assert after == before
    assert ceng.containers.list(all=True) == []
    assert not list(ceng.layout.containers.iterdir())


def _read_until(stream, token: bytes, timeout: float = 30.0) -> bytes:
    import select
    seen = b""
    deadline = time.monotonic() + timeout
    while token not in seen and time.monotonic() < deadline:
        if select.select([stream], [], [], 0.2)[0]:
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.parametrize("rm", [False, True])
def test_sigkilled_foreground_run_loses_no_output_and_no_exit_record(ceng, rm):
    """Like Docker: the container outlives a SIGKILLed `container run` (no -d), its whole
    output reaches the json log, its exit code is recorded; with --rm it is still removed."""
    env = dict(os.environ, PYCOMPOSE_ROOT=str(ceng.layout.root),
               PYCOMPOSE_RUNROOT=str(ceng.layout.runroot))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    name = f"fg-{os.getpid()}-{int(rm)}"
    argv = [sys.executable, "-m", "compose", "container", "run", "--network", "none",
            "--name", name] + (["--rm"] if rm else []) + \
        ["busybox", "sh", "-c", "echo first; sleep 1.5; echo second; exit 7"]
    cli = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        assert b"first" in _read_until(cli.stdout, b"first")
        cli.kill()
        cli.wait(timeout=10)
        cid = ceng.containers.inspect(name).id
        assert ceng.containers.inspect(cid).state.running
        if rm:
            assert ceng.containers.wait(cid, condition="removed", timeout=30) == 0
            assert all(i.name != name for i in ceng.containers.list(all=True))
            return
        assert ceng.containers.wait(cid, timeout=30) == 7
        assert logs_text_of(ceng, cid) == "first\nsecond\n"
        assert ceng.containers.inspect(cid).state.exit_code == 7
    finally:
        cli.stdout.close()
        cli.stderr.close()


def logs_text_of(eng, cid):
    return "".join(data.decode() for stream, _ts, data in eng.containers.logs(cid)
                   if stream == "stdout")


def test_removal_left_hidden_by_a_killed_shim_is_finished_by_the_next_create(ceng):
    """An auto-remove hides the container first (config renamed); if the shim dies before
    the release, the next create finishes it: no directory, rootfs or lock stays behind."""
    from engine.runtime.shim import hide_config
    info = ceng.containers.create(ContainerSpec(image="busybox", command=("true",),
                                                network_mode="none"), auto_remove=True)
    cdir = ceng.layout.container_dir(info.id)
    hide_config(str(cdir))
    assert all(i.id != info.id for i in ceng.containers.list(all=True))
    assert cdir.exists()
    other = ceng.containers.create(ContainerSpec(image="busybox", command=("true",),
                                                 network_mode="none"))
    assert not cdir.exists()
    assert not ceng.layout.lock_file(f"container-op-{info.id}").exists()
    ceng.containers.remove(other.id)
