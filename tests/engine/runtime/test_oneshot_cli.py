"""The builder's one-shot runner, `cp`, and the `pycompose container` CLI end to end."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from engine.runtime.oneshot import run_in_rootfs
from engine.types import Mount, RootfsMount

from tests.fixtures.containers import start_ctr

pytestmark = pytest.mark.root


def test_oneshot_overlay_output_user_mounts_network_none(busybox_rootfs, tmp_path):
    up, work, data = tmp_path / "up", tmp_path / "work", tmp_path / "data"
    for d in (up, work, data):
        d.mkdir()
    (data / "in.txt").write_text("from host\n")
    rootfs = RootfsMount(type="overlay", lowerdirs=(str(busybox_rootfs),), upperdir=str(up),
                         workdir=str(work))
    out = bytearray()
    code = run_in_rootfs(rootfs, ["sh", "-c", "id -u; cat /data/in.txt; echo $FOO; pwd; "
                                  "ip -o link | wc -l; grep CapEff /proc/self/status; "
                                  "grep myhost /etc/hosts; echo made > /made; exit 4"],
                         env={"FOO": "bar"}, user="app", workdir="/tmp", network="none",
                         mounts=(Mount(type="bind", source=str(data), target="/data"),),
                         hostname="bld", extra_hosts=("myhost:10.1.2.3",), on_output=out.extend)
    lines = out.decode().splitlines()
    assert code == 4
    assert lines[:5] == ["1000", "from host", "bar", "/tmp", "1"]
    assert lines[5].endswith("0000000000000000")        # non-root user: no effective caps
    assert lines[6].split() == ["10.1.2.3", "myhost"]
    assert (up / "made").exists() is False               # /made not writable as uid 1000
    code = run_in_rootfs(rootfs, ["sh", "-c", "echo made > /made"], env={})
    assert code == 0 and (up / "made").read_text() == "made\n"


def test_oneshot_command_not_found_is_127(busybox_rootfs, tmp_path):
    rootfs = RootfsMount(type="bind", source=str(busybox_rootfs))
    out = bytearray()
    assert run_in_rootfs(rootfs, ["nope"], env={}, on_output=out.extend) == 127
    assert b"executable file not found" in out


def test_cp_both_ways_running_and_stopped(ceng, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("A")
    info = start_ctr(ceng, ["sleep", "60"])
    ceng.containers.copy_to(info.id, str(src), "/tmp")
    ceng.containers.copy_to(info.id, str(src / "a.txt"), "/tmp/renamed.txt")
    ceng.containers.copy_from(info.id, "/tmp/src/a.txt", str(tmp_path / "back.txt"))
    assert (tmp_path / "back.txt").read_text() == "A"
    ceng.containers.kill(info.id)
    ceng.containers.wait(info.id, timeout=10)
    ceng.containers.copy_from(info.id, "/tmp/renamed.txt", str(tmp_path))
    assert (tmp_path / "renamed.txt").read_text() == "A"
    from engine.errors import NotFound
    with pytest.raises(NotFound):
        ceng.containers.copy_from(info.id, "/nope", str(tmp_path))


def _cli(eng, *args, input=None):
    env = dict(os.environ, PYCOMPOSE_ROOT=str(eng.layout.root),
               PYCOMPOSE_RUNROOT=str(eng.layout.runroot))
    env.pop("PYTHONDONTWRITEBYTECODE", None)      # cache bytecode: each CLI call is a new process
    return subprocess.run([sys.executable, "-m", "compose", "container", *args],
                          capture_output=True, text=True, env=env, timeout=60, input=input)


def test_cli_run_ls_inspect_exec_logs_rm(ceng):
    res = _cli(ceng, "run", "--rm", "--network", "none", "-e", "X=1", "busybox",
               "sh", "-c", "echo out $X; echo err >&2; exit 3")
    assert (res.returncode, res.stdout, res.stderr) == (3, "out 1\n", "err\n")
    res = _cli(ceng, "run", "--rm", "--network", "none", "busybox", "nosuchcmd")
    assert res.returncode == 127 and "executable file not found" in res.stderr
    assert "Traceback" not in res.stderr
    res = _cli(ceng, "run", "-d", "--name", "web", "--network", "none", "-l", "a=b",
               "busybox", "sh", "-c", "echo hello; sleep 60")
    cid = res.stdout.strip()
    assert res.returncode == 0 and len(cid) == 64
    ls = _cli(ceng, "ls")
    assert ls.stdout.splitlines()[0].split()[:2] == ["CONTAINER", "ID"]
    assert "web" in ls.stdout and cid[:12] in ls.stdout and "Up " in ls.stdout
    doc = json.loads(_cli(ceng, "inspect", "web").stdout)[0]
    assert doc["Id"] == cid and doc["State"]["Running"] and doc["Name"] == "/web"
    ex = _cli(ceng, "exec", "-e", "Y=2", "-w", "/tmp", "web", "sh", "-c", "echo $Y $(pwd); exit 5")
    assert (ex.returncode, ex.stdout) == (5, "2 /tmp\n")
    assert _cli(ceng, "logs", "web").stdout == "hello\n"
    rm = _cli(ceng, "rm", "web")
    assert rm.returncode == 1 and "cannot remove a running container" in rm.stderr
    assert _cli(ceng, "stop", "-t", "1", "web").stdout == "web\n"
    assert _cli(ceng, "rm", "web").returncode == 0
    assert ceng.containers.list(all=True) == []


def test_cli_run_interactive_tty(ceng):
    """`run -it` from a terminal: keystrokes reach the shell, its exit code comes back."""
    import pty
    import select
    import time
    env = dict(os.environ, PYCOMPOSE_ROOT=str(ceng.layout.root),
               PYCOMPOSE_RUNROOT=str(ceng.layout.runroot))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(sys.executable, [sys.executable, "-m", "compose", "container", "run", "-it",
                                    "--rm", "--network", "none", "busybox", "sh"], env)
    seen = b""

    def read_until(token: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 30
        while token not in seen and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    seen += os.read(fd, 4096)
                except OSError:
                    break

    read_until(b"built-in commands")        # the shell discards input typed before it starts
    time.sleep(0.5)
    os.write(fd, b"echo typed-$((1+2))\r")
    read_until(b"typed-3")
    os.write(fd, b"exit 5\r")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert b"typed-3" in seen
    assert os.waitstatus_to_exitcode(status) == 5
    assert ceng.containers.list(all=True) == []
