"""Pure pieces: cgroup v2/v1 file writes on a fake cgroupfs, limit rules, seccomp program,
capability arithmetic, Docker's argv/env resolution, passwd/group lookup."""
from __future__ import annotations

import struct

import pytest

from engine.cgroups.limits import DEFAULT_DEVICE_RULES, from_resources
from engine.cgroups.v1 import V1Cgroup
from engine.cgroups.v2 import V2Cgroup, shares_to_weight
from engine.errors import InvalidArgument
from engine.runtime import caps, identity
from engine.runtime.plan import resolve_argv, resolve_env
from engine.seccomp.filter import build_filter, denied_syscalls
from engine.seccomp.syscalls_table import X86_64
from engine.types import ImageConfig, Resources


def _read(path):
    return path.read_text().strip()


def test_v2_writes_on_a_fake_cgroupfs(tmp_path):
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (tmp_path / "cgroup.subtree_control").write_text("")
    cg = V2Cgroup(str(tmp_path), "pycompose/abc")
    cg.create()
    assert _read(tmp_path / "cgroup.subtree_control") == "+cpuset +cpu +io +memory +pids"
    limits = from_resources(Resources(memory=64 << 20, pids_limit=50, nano_cpus=500_000_000,
                                      cpu_shares=512, memory_reservation=32 << 20,
                                      cpuset_cpus="0", blkio_weight=300))
    del limits["devices"]          # an eBPF program, tested on the real hierarchy below
    cg.apply(limits)
    d = tmp_path / "pycompose/abc"
    assert _read(d / "memory.max") == "67108864"
    assert _read(d / "memory.swap.max") == "67108864"        # swap only: 2x total - memory
    assert _read(d / "memory.low") == str(32 << 20)
    assert _read(d / "cpu.max") == "50000 100000"
    assert _read(d / "cpu.weight") == str(shares_to_weight(512))
    assert _read(d / "pids.max") == "50"
    assert _read(d / "cpuset.cpus") == "0"
    assert _read(d / "io.weight") == "default 300"
    (d / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert cg.oom_kills() == 1
    assert cg.procs_files() == [str(d / "cgroup.procs")]


def test_v2_unlimited_swap_and_quota_only():
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as tmp:
        cg = V2Cgroup(tmp, "x")
        Path(tmp, "x").mkdir()
        limits = from_resources(Resources(memory=10 << 20, memory_swap=-1, cpu_quota=20000))
        del limits["devices"]
        cg.apply(limits)
        assert Path(tmp, "x/memory.swap.max").read_text() == "max"
        assert Path(tmp, "x/cpu.max").read_text() == "20000 100000"


def test_v1_writes_on_a_fake_hierarchy(tmp_path):
    mounts = {c: str(tmp_path / c) for c in ("memory", "cpu", "pids", "devices", "cpuset")}
    for c in ("cpuset",):
        (tmp_path / c).mkdir()
        (tmp_path / c / "cpuset.cpus").write_text("0-1")
        (tmp_path / c / "cpuset.mems").write_text("0")
    cg = V1Cgroup(mounts, "pc/abc")
    cg.create()
    assert _read(tmp_path / "cpuset/pc/abc/cpuset.cpus") == "0-1"
    cg.apply(from_resources(Resources(memory=64 << 20, pids_limit=50, nano_cpus=500_000_000)))
    assert _read(tmp_path / "memory/pc/abc/memory.limit_in_bytes") == "67108864"
    assert _read(tmp_path / "cpu/pc/abc/cpu.cfs_quota_us") == "50000"
    assert _read(tmp_path / "cpu/pc/abc/cpu.cfs_period_us") == "100000"
    assert _read(tmp_path / "pids/pc/abc/pids.max") == "50"
    # devices: the fake file keeps only the last write; the rule list itself is checked below
    assert _read(tmp_path / "devices/pc/abc/devices.allow") == "c 10:200 rwm"


def test_limit_rules():
    assert from_resources(Resources(memory=64 << 20))["memory_swap"] == 128 << 20
    assert from_resources(Resources(memory=64 << 20, memory_swap=-1))["memory_swap"] == -1
    with pytest.raises(InvalidArgument, match="Minimum memory"):
        from_resources(Resources(memory=1 << 20))
    with pytest.raises(InvalidArgument, match="Memory limit"):
        from_resources(Resources(memory_swap=100 << 20))
    with pytest.raises(InvalidArgument, match="Conflicting"):
        from_resources(Resources(nano_cpus=10**9, cpu_quota=1000))
    assert from_resources(Resources())["devices"] == list(DEFAULT_DEVICE_RULES)
    assert from_resources(Resources(), privileged=True)["devices"] == [("a", -1, -1, "rwm")]


def _decode(program: bytes):
    return [struct.unpack("HBBI", program[i:i + 8]) for i in range(0, len(program), 8)]


def test_seccomp_program_refuses_dockers_list():
    prog = _decode(build_filter(set(caps.DOCKER_DEFAULT), "x86_64"))
    checked = {k for code, _jt, _jf, k in prog if code == 0x15}
    for name in ("mount", "umount2", "unshare", "setns", "reboot", "settimeofday",
                 "clock_settime", "adjtimex", "syslog", "keyctl", "add_key", "request_key",
                 "kexec_load", "init_module", "finit_module", "delete_module",
                 "open_by_handle_at", "bpf", "pivot_root", "fsopen", "move_mount"):
        assert X86_64[name] in checked, name
    assert X86_64["ptrace"] if "ptrace" in X86_64 else True
    assert prog[-1][3] == 0x7FFF0000          # default: allow


def test_seccomp_cap_gating():
    assert "mount" in denied_syscalls(set())
    assert "mount" not in denied_syscalls({"sys_admin"})
    assert "keyctl" in denied_syscalls({"sys_admin"})
    assert "settimeofday" not in denied_syscalls({"sys_time"})


def test_capability_arithmetic():
    assert caps.mask(caps.effective_caps()) == 0xA80425FB
    assert caps.effective_caps(cap_drop=["ALL"]) == []
    assert caps.effective_caps(cap_add=["NET_ADMIN"], cap_drop=["ALL"]) == ["net_admin"]
    assert "chown" not in caps.effective_caps(cap_drop=["CAP_CHOWN"])
    with pytest.raises(InvalidArgument):
        caps.effective_caps(cap_add=["BOGUS"])


def test_docker_argv_and_env_resolution():
    img = ImageConfig(entrypoint=("/ep",), cmd=("a", "b"), env=("PATH=/x", "K=img"))
    assert resolve_argv(None, None, img) == ["/ep", "a", "b"]
    assert resolve_argv(None, ("c",), img) == ["/ep", "c"]
    assert resolve_argv(("sh",), None, img) == ["sh"]              # --entrypoint drops CMD
    assert resolve_argv((), ("c",), img) == ["c"]
    env = resolve_env(img.env, {"K": "mine", "N": "1"}, "abc", tty=False)
    assert env == ["PATH=/x", "HOSTNAME=abc", "K=mine", "N=1"]
    assert resolve_env((), {}, "h", tty=True)[:3] == [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=h",
        "TERM=xterm"]


def test_user_resolution(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n")
    (tmp_path / "etc/group").write_text("root:x:0:\nwheel:x:10:app\napp:x:1000:\n")
    root = str(tmp_path)
    assert identity.resolve("", (), root) == (0, 0, [0], "/root")
    assert identity.resolve("app", (), root) == (1000, 1000, [1000, 10], "/home/app")
    assert identity.resolve("app:wheel", (), root)[:2] == (1000, 10)
    assert identity.resolve("4242", ("wheel",), root) == (4242, 0, [0, 10], "/")
    with pytest.raises(identity.UnknownUser, match="unable to find user ghost"):
        identity.resolve("ghost", (), root)


def test_cli_rendering_helpers():
    from compose.cli.container_cmd.view import human_duration, render_format, table
    assert human_duration(0.5) == "Less than a second"
    assert human_duration(3) == "3 seconds" and human_duration(90) == "About a minute"
    doc = {"State": {"Status": "running", "Running": True}, "Name": "/web"}
    assert render_format("{{.State.Status}} {{.State.Running}} {{.Name}}", doc) == "running true /web"
    assert render_format("{{json .State}}", doc) == '{"Status":"running","Running":true}'
    assert render_format("json", {"a": 1}) == '{"a":1}'
    assert table([["1", "x"]], ["ID", "NAME"]).splitlines() == ["ID   NAME", "1    x"]


def test_run_arguments_to_spec():
    from compose.cli.container_cmd.args import build_parser, to_spec
    ns = build_parser("run", True).parse_args(
        ["-d", "--rm", "-m", "64m", "--cpus", "0.5", "--pids-limit", "50", "-v", "/srv:/data:ro",
         "-p", "127.0.0.1:8080:80/udp", "--restart", "on-failure:3", "-h", "box", "-e", "A=1",
         "--cap-drop", "ALL", "--read-only", "--ulimit", "nofile=10:20", "--tmpfs", "/run:size=1m",
         "busybox", "sh", "-c", "echo -n hi"])
    spec = to_spec(ns)
    assert ns.detach and ns.rm
    assert (spec.resources.memory, spec.resources.nano_cpus, spec.resources.pids_limit) == \
        (64 << 20, 500_000_000, 50)
    assert spec.mounts[0].type == "bind" and spec.mounts[0].read_only
    assert spec.ports[0].host_ip == "127.0.0.1" and spec.ports[0].protocol == "udp"
    assert spec.restart_policy.max_retries == 3 and spec.hostname == "box"
    assert spec.command == ("sh", "-c", "echo -n hi") and spec.env == {"A": "1"}
    assert spec.ulimits[0].soft == 10 and spec.tmpfs == {"/run": "size=1m"}


def _cgroup2_mount() -> str:
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[fields.index("-") + 1] == "cgroup2":
                return fields[4]
    pytest.fail("no cgroup2 hierarchy mounted: the v2 device filter cannot be tested")


@pytest.mark.root
def test_v2_device_filter_on_the_real_unified_hierarchy(tmp_path):
    """The eBPF allow-list attached to a real cgroup2 dir: /dev/null opens, a host disk node
    (mknod allowed by the 'b *:* m' rule) does not."""
    import os
    import stat
    from engine.cgroups.devices_bpf import attach
    cg = os.path.join(_cgroup2_mount(), f"pycompose-devtest-{os.getpid()}")
    os.mkdir(cg)
    try:
        attach(cg, DEFAULT_DEVICE_RULES)
        major, minor = sorted(os.listdir("/sys/dev/block"))[0].split(":")
        node = str(tmp_path / "disk")
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            results = []
            try:
                with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                    f.write(str(os.getpid()))
                with open("/dev/null", "w") as f:
                    f.write("x")
                results.append("null-ok")
                os.mknod(node, 0o600 | stat.S_IFBLK, os.makedev(int(major), int(minor)))
                results.append("mknod-ok")
                try:
                    os.close(os.open(node, os.O_RDONLY))
                    results.append("disk-opened")
                except PermissionError:
                    results.append("disk-eperm")
            finally:
                os.write(w, " ".join(results).encode())
                os._exit(0)
        os.close(w)
        os.waitpid(pid, 0)
        assert os.read(r, 1000).decode().split() == ["null-ok", "mknod-ok", "disk-eperm"]
        os.close(r)
    finally:
        os.rmdir(cg)
