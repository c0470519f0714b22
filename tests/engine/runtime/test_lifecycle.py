"""Container lifecycle through real shims: stop grace, init, OOM, restart policies,
healthchecks, exec, pause, errors."""
from __future__ import annotations

import os
import signal
import time

import pytest

from engine.errors import Conflict, InvalidArgument, NotFound, RuntimeFailure
from engine.types import ContainerSpec, ExecSpec, Healthcheck, Resources, RestartPolicy

from tests.fixtures.containers import logs_text, run_ctr, start_ctr

pytestmark = pytest.mark.root


def _exec_out(eng, cid, argv, **kw):
    out = bytearray()
    code = eng.containers.exec(cid, ExecSpec(cmd=tuple(argv), **kw), stdout=out.extend,
                               stderr=out.extend)
    return code, out.decode()


def _wait_for(pred, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_sigterm_ignoring_process_is_killed_after_the_grace_with_137(ceng):
    info = start_ctr(ceng, ["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"])
    _wait_for(lambda: "ready" in logs_text(ceng, info.id)[0], what="ready")
    ceng.containers.stop(info.id, timeout=1)
    st = ceng.containers.inspect(info.id).state
    assert st.status == "exited" and st.exit_code == 137 and not st.oom_killed


def test_stop_kills_at_once_when_pid1_has_no_handler_for_the_signal(ceng):
    """Documented improvement over Docker: PID 1 of its own pid namespace without a TERM
    handler never sees SIGTERM from outside (the kernel drops it), so stop does not wait out
    the grace period: SIGKILL at once, exit code 137 as after Docker's late kill."""
    from engine.runtime.service import signal_deliverable
    info = start_ctr(ceng, ["sleep", "600"])
    pid = ceng.containers.store.state_file(info.id).read()["pid"]
    assert not signal_deliverable(pid, signal.SIGTERM)
    assert signal_deliverable(pid, signal.SIGKILL)
    assert signal_deliverable(os.getpid(), signal.SIGTERM)      # not a namespace's init
    started = time.monotonic()
    ceng.containers.stop(info.id, timeout=300)
    assert time.monotonic() - started < 60                      # far from the 300 s grace
    st = ceng.containers.inspect(info.id).state
    assert st.status == "exited" and st.exit_code == 137 and not st.oom_killed


def test_stop_with_a_trap_waits_for_the_handler(ceng):
    info = start_ctr(ceng, ["sh", "-c", "trap 'sleep 0.5; echo handled; exit 3' TERM; "
                                        "echo ready; while :; do sleep 0.1; done"])
    _wait_for(lambda: "ready" in logs_text(ceng, info.id)[0], what="ready")
    from engine.runtime.service import signal_deliverable
    pid = ceng.containers.store.state_file(info.id).read()["pid"]
    assert signal_deliverable(pid, signal.SIGTERM)
    ceng.containers.stop(info.id, timeout=30)
    assert ceng.containers.inspect(info.id).state.exit_code == 3
    assert "handled" in logs_text(ceng, info.id)[0]


def test_stop_with_init_takes_the_normal_path(ceng):
    """init: true installs handlers, so SIGTERM is forwarded to the command (here: sleep,
    which dies of it: 143, not the 137 of a kill)."""
    info = start_ctr(ceng, ["sleep", "600"], init=True)
    ceng.containers.stop(info.id, timeout=30)
    assert ceng.containers.inspect(info.id).state.exit_code == 143


def test_stop_signal_handled_exits_cleanly(ceng):
    info = start_ctr(ceng, ["sh", "-c", "trap 'exit 0' TERM; echo ready; while :; do sleep 0.1; done"])
    _wait_for(lambda: "ready" in logs_text(ceng, info.id)[0], what="ready")
    ceng.containers.stop(info.id, timeout=5)
    assert ceng.containers.inspect(info.id).state.exit_code == 0


def test_init_reaps_zombies_and_forwards_term(ceng):
    orphans = "for i in 1 2 3 4 5; do sh -c 'sleep 0.1 &'; done; exec sleep 30"
    plain = start_ctr(ceng, ["sh", "-c", orphans])
    with_init = start_ctr(ceng, ["sh", "-c", orphans], init=True)
    time.sleep(0.8)
    zombies = "ps -o stat | grep -c '^Z' || true"
    assert int(_exec_out(ceng, plain.id, ["sh", "-c", zombies])[1]) == 5
    assert int(_exec_out(ceng, with_init.id, ["sh", "-c", zombies])[1]) == 0
    _, pid1_comm = _exec_out(ceng, with_init.id, ["cat", "/proc/1/comm"])
    assert pid1_comm.strip() != "sleep"
    ceng.containers.stop(with_init.id, timeout=5)       # TERM forwarded: sleep dies at once
    assert ceng.containers.inspect(with_init.id).state.exit_code == 143
    ceng.containers.kill(plain.id)


def test_oom_kill_reports_137_and_oomkilled(ceng):
    code, _out, _err = run_ctr(ceng, ["sh", "-c", "head -c 100m /dev/zero | tail"],
                               resources=Resources(memory=16 << 20))
    assert code == 137
    info = start_ctr(ceng, ["sh", "-c", "head -c 100m /dev/zero | tail"],
                     resources=Resources(memory=16 << 20))
    assert ceng.containers.wait(info.id, timeout=20) == 137
    assert ceng.containers.inspect(info.id).state.oom_killed is True


def test_plain_137_is_not_oomkilled(ceng):
    info = start_ctr(ceng, ["sleep", "30"], resources=Resources(memory=16 << 20))
    ceng.containers.kill(info.id)
    assert ceng.containers.wait(info.id, timeout=10) == 137
    assert ceng.containers.inspect(info.id).state.oom_killed is False


def test_restart_on_failure_max_retries(ceng):
    info = start_ctr(ceng, ["sh", "-c", "echo run; exit 3"],
                     restart_policy=RestartPolicy("on-failure", 2))
    _wait_for(lambda: ceng.containers.inspect(info.id).state.restart_count == 2 and
              ceng.containers.inspect(info.id).state.status == "exited", what="2 restarts")
    st = ceng.containers.inspect(info.id).state
    assert st.exit_code == 3
    assert logs_text(ceng, info.id)[0].count("run") == 3


def test_restart_always_until_stopped(ceng):
    info = start_ctr(ceng, ["sh", "-c", "exit 0"], restart_policy=RestartPolicy("always"))
    _wait_for(lambda: ceng.containers.inspect(info.id).state.restart_count >= 2, what="restarts")
    ceng.containers.stop(info.id, timeout=1)
    time.sleep(0.5)
    st = ceng.containers.inspect(info.id).state
    assert st.status == "exited"
    count = st.restart_count
    time.sleep(0.5)
    assert ceng.containers.inspect(info.id).state.restart_count == count


def test_restart_no_and_on_failure_success_do_not_restart(ceng):
    info = start_ctr(ceng, ["true"], restart_policy=RestartPolicy("on-failure"))
    assert ceng.containers.wait(info.id, timeout=10) == 0
    time.sleep(0.3)
    assert ceng.containers.inspect(info.id).state.restart_count == 0


def test_healthcheck_starting_unhealthy_healthy(ceng):
    hc = Healthcheck(test=("CMD-SHELL", "cat /tmp/ok"), interval=0.3, timeout=2, retries=2)
    info = start_ctr(ceng, ["sleep", "60"], healthcheck=hc)
    assert ceng.containers.inspect(info.id).state.health.status == "starting"
    _wait_for(lambda: ceng.containers.health(info.id).status == "unhealthy", what="unhealthy")
    h = ceng.containers.health(info.id)
    assert h.failing_streak >= 2 and h.log[-1]["ExitCode"] != 0
    assert "No such file" in h.log[-1]["Output"]
    _exec_out(ceng, info.id, ["sh", "-c", "echo fine > /tmp/ok"])
    _wait_for(lambda: ceng.containers.health(info.id).status == "healthy", what="healthy")
    assert ceng.containers.health(info.id).log[-1]["Output"] == "fine\n"


def test_healthcheck_timeout(ceng):
    hc = Healthcheck(test=("CMD", "sleep", "5"), interval=0.2, timeout=0.3, retries=1)
    info = start_ctr(ceng, ["sleep", "60"], healthcheck=hc)
    _wait_for(lambda: ceng.containers.health(info.id).status == "unhealthy", what="unhealthy")
    entry = ceng.containers.health(info.id).log[-1]
    assert entry["ExitCode"] == -1 and "exceeded timeout" in entry["Output"]


def test_exec_user_env_workdir_exit_code(ceng):
    info = start_ctr(ceng, ["sleep", "60"], env={"A": "1"})
    code, out = _exec_out(ceng, info.id, ["sh", "-c", "id -u; echo $A$B; pwd; exit 7"],
                          user="app", env={"B": "2"}, working_dir="/tmp")
    assert code == 7
    assert out.split() == ["1000", "12", "/tmp"]
    code, out = _exec_out(ceng, info.id, ["nosuch"])
    assert code == 127 and "executable file not found" in out
    code, out = _exec_out(ceng, info.id, ["/etc/passwd"])
    assert code == 126
    assert ceng.containers.exec(info.id, ExecSpec(cmd=("sh", "-c", "sleep 0.2; touch /tmp/d"),
                                                  detach=True)) == 0
    _wait_for(lambda: _exec_out(ceng, info.id, ["test", "-f", "/tmp/d"])[0] == 0, what="exec -d")


def test_exec_joins_namespaces_and_cgroup(ceng):
    info = start_ctr(ceng, ["sleep", "60"])
    _, out = _exec_out(ceng, info.id, ["sh", "-c", "hostname; cat /proc/self/cgroup | grep memory; "
                                       "grep CapEff /proc/self/status; ls /proc | grep -c '^[0-9]'"])
    host, cg, caps, nprocs = out.split("\n")[:4]
    assert host == info.id[:12]
    assert info.id in cg
    assert caps.endswith("00000000a80425fb")
    assert int(nprocs) <= 4


def test_pause_unpause_and_exec_refused_while_paused(ceng):
    info = start_ctr(ceng, ["sleep", "60"])
    ceng.containers.pause(info.id)
    assert ceng.containers.inspect(info.id).state.status == "paused"
    with pytest.raises(Conflict):
        ceng.containers.exec(info.id, ExecSpec(cmd=("true",)))
    with pytest.raises(Conflict):
        ceng.containers.pause(info.id)
    ceng.containers.unpause(info.id)
    assert ceng.containers.inspect(info.id).state.status == "running"


def test_errors_are_clear(ceng):
    with pytest.raises(NotFound, match="nosuchimage"):
        ceng.containers.create(ContainerSpec(image="nosuchimage"))
    info = start_ctr(ceng, ["sleep", "60"], name="dup")
    with pytest.raises(Conflict, match='"/dup" is already in use'):
        ceng.containers.create(ContainerSpec(image="busybox", name="dup"))
    with pytest.raises(Conflict, match="cannot remove a running container"):
        ceng.containers.remove(info.id)
    with pytest.raises(InvalidArgument, match="capability"):
        ceng.containers.create(ContainerSpec(image="busybox", cap_add=("NOPE",)))
    assert len(ceng.containers.list(all=True)) == 1


def test_start_failures_exit_codes(ceng):
    for argv, code, text in ((["nosuch"], 127, "executable file not found"),
                             (["/etc/passwd"], 126, "permission denied")):
        info = ceng.containers.create(ContainerSpec(image="busybox", command=tuple(argv),
                                                    network_mode="none"))
        with pytest.raises(RuntimeFailure, match=text) as exc:
            ceng.containers.start(info.id)
        assert exc.value.exit_code == code
        assert ceng.containers.inspect(info.id).state.exit_code == code
    info = ceng.containers.create(ContainerSpec(image="busybox", command=("true",),
                                                user="nobody-here", network_mode="none"))
    with pytest.raises(RuntimeFailure, match="unable to find user nobody-here"):
        ceng.containers.start(info.id)


def test_kernel_refused_limit_is_a_clear_error_and_leaves_no_cgroup(ceng, cgroup_parent):
    info = ceng.containers.create(ContainerSpec(image="busybox", command=("true",),
                                                network_mode="none",
                                                resources=Resources(cpuset_cpus="63")))
    with pytest.raises(RuntimeFailure, match="refused"):
        ceng.containers.start(info.id)
    assert not os.path.exists(f"/sys/fs/cgroup/cpuset/{cgroup_parent}/{info.id}")


def test_rename_and_filters(ceng):
    info = start_ctr(ceng, ["sleep", "60"], name="first", labels={"app": "x"})
    ceng.containers.create(ContainerSpec(image="busybox", name="other", command=("true",)))
    ceng.containers.rename("first", "second")
    assert ceng.containers.inspect("second").id == info.id
    assert [i.name for i in ceng.containers.list()] == ["second"]
    assert [i.name for i in ceng.containers.list(all=True, filters={"label": ["app=x"]})] == ["second"]
    assert {i.name for i in ceng.containers.list(all=True, filters={"status": ["created"]})} == {"other"}
    assert ceng.containers.inspect(info.id[:10]).name == "second"


def test_entrypoint_cmd_env_resolution(ceng):
    code, out, _ = run_ctr(ceng, ["-c", "echo $0 $HOME $FOO; pwd"], entrypoint=("sh",),
                           env={"FOO": "bar"}, working_dir="/newdir")
    assert code == 0
    assert out.decode().split() == ["sh", "/root", "bar", "/newdir"]


def test_read_only_and_tmpfs_and_user(ceng):
    code, out, _ = run_ctr(ceng, ["sh", "-c", "touch /x 2>/dev/null; echo $?; touch /scratch/y && echo ok; "
                                  "cat /etc/hostname >/dev/null; echo hi >> /etc/hosts; echo $?; id -u"],
                           read_only=True, tmpfs={"/scratch": "size=1m"}, user="app")
    assert out.decode().split() == ["1", "ok", "1", "1000"]


def test_sysctls_ulimits_hostname(ceng):
    from engine.types import Ulimit
    code, out, _ = run_ctr(ceng, ["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward; ulimit -n; hostname"],
                           sysctls={"net.ipv4.ip_forward": "1"},
                           ulimits=(Ulimit("nofile", 1234, 1234),), hostname="box")
    assert out.decode().split() == ["1", "1234", "box"]
    with pytest.raises(InvalidArgument, match="not namespaced"):
        ceng.containers.create(ContainerSpec(image="busybox", sysctls={"kernel.panic": "1"}))


def test_no_new_privileges_and_privileged(ceng):
    _, out, _ = run_ctr(ceng, ["grep", "NoNewPrivs", "/proc/self/status"],
                        security_opt=("no-new-privileges:true",))
    assert out.decode().split()[-1] == "1"
    _, out, _ = run_ctr(ceng, ["sh", "-c", "grep -E 'CapEff|Seccomp:' /proc/self/status; "
                               "mount -t tmpfs none /tmp && echo mounted"], privileged=True)
    text = out.decode()
    assert "Seccomp:\t0" in text and "mounted" in text
    host_bnd = next(ln.split()[1] for ln in open("/proc/self/status") if ln.startswith("CapBnd"))
    assert text.split("CapEff:")[1].split()[0] == host_bnd


def test_tty_is_a_pty_of_the_containers_devpts_with_console(ceng):
    info = start_ctr(ceng, ["sh", "-c", "tty; stty size; test -c /dev/console && echo console"],
                     tty=True)
    assert ceng.containers.wait(info.id, timeout=10) == 0
    out = logs_text(ceng, info.id)[0].replace("\r", "").split("\n")
    assert out[:3] == ["/dev/pts/0", "24 80", "console"]


def test_attach_feeds_stdin_and_streams_output(ceng):
    info = start_ctr(ceng, ["sh", "-c", "read line; echo got $line; echo err >&2"], stdin_open=True)
    out, err = bytearray(), bytearray()
    code = ceng.containers.attach(info.id, stdin=b"hello\n", stdout=out.extend, stderr=err.extend)
    assert (code, bytes(out), bytes(err)) == (0, b"got hello\n", b"err\n")


def test_stats_and_top(ceng):
    info = start_ctr(ceng, ["sh", "-c", "sleep 60"], resources=Resources(memory=64 << 20))
    stats = ceng.containers.stats(info.id)
    assert stats["memory_limit"] == 64 << 20 and stats["pids"] >= 1
    assert stats["memory_usage"] > 0
    top = ceng.containers.top(info.id)
    assert top["Titles"][:3] == ["UID", "PID", "PPID"]
    assert any("sleep 60" in row[-1] for row in top["Processes"])


def test_exec_with_tty_gets_a_container_pty(ceng):
    info = start_ctr(ceng, ["sleep", "60"])
    r, w = os.pipe()
    os.write(w, b"typed\n")
    out = bytearray()
    code = ceng.containers.exec(info.id, ExecSpec(cmd=("sh", "-c", "tty; read x; echo got $x; exit 4"),
                                                  tty=True), stdin=r, stdout=out.extend)
    os.close(r)
    os.close(w)
    lines = out.decode().replace("\r", "").split("\n")
    assert code == 4
    assert "/dev/pts/0" in lines and "got typed" in lines


def test_detached_auto_remove(ceng):
    info = ceng.containers.create(ContainerSpec(image="busybox", command=("true",),
                                                network_mode="none"), auto_remove=True)
    ceng.containers.start(info.id)
    _wait_for(lambda: not ceng.layout.container_dir(info.id).exists(), what="auto removal")
    with pytest.raises(NotFound):
        ceng.containers.inspect(info.id)


def test_bridge_network_sandbox_is_joined(ceng):
    code, out, _ = run_ctr(ceng, ["sh", "-c", "ip -o link | cut -d: -f2; ip route | grep default; "
                                  "cat /etc/hosts; hostname"], network_mode="bridge")
    text = out.decode()
    names = [line.strip().split("@")[0] for line in text.splitlines()[:2]]
    assert code == 0 and names == ["lo", "eth0"]
    assert "default via" in text
    hostname = text.split()[-1]
    assert any(line.split()[1:] == [hostname] for line in text.splitlines()
               if line and line[0].isdigit() and not line.startswith("127."))


def test_port_in_use_fails_start_and_leaves_created(ceng, cgroup_parent):
    import socket
    from engine.errors import EngineError
    from engine.types import PortBinding
    holder = socket.socket()
    holder.bind(("0.0.0.0", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        info = ceng.containers.create(ContainerSpec(
            image="busybox", command=("sleep", "30"),
            ports=(PortBinding(container_port=80, host_port=port),)))
        with pytest.raises(EngineError, match=str(port)):
            ceng.containers.start(info.id)
        assert ceng.containers.inspect(info.id).state.status == "created"
        assert not os.path.exists(f"/sys/fs/cgroup/memory/{cgroup_parent}/{info.id}")
    finally:
        holder.close()


def test_host_pid_mode_child_outliving_pid1_does_not_hang_the_shim(ceng, cgroup_parent):
    info = start_ctr(ceng, ["sh", "-c", "sleep 30 & echo bye"], pid_mode="host")
    assert ceng.containers.wait(info.id, timeout=8) == 0
    _wait_for(lambda: not os.path.exists(f"/sys/fs/cgroup/pids/{cgroup_parent}/{info.id}"),
              what="cgroup (and the leftover sleep) removed")
    assert logs_text(ceng, info.id)[0] == "bye\n"
