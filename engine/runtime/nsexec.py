"""Run a process inside a running container: join its cgroup and namespaces, then fork.

    enter(pid1, cgroup_procs, proc, stdio) -> (pid, error)

The forked helper joins the container's cgroup, setns()es into its ipc, uts, net, pid,
cgroup and mount namespaces (mount last: it moves the root to the container's), then forks
once more so the command is inside the pid namespace; the command gets the container's
capabilities, seccomp filter and no_new_privs, then user / env / workdir, then execve. The
helper waits and exits with the command's code, so the caller just waits for the helper.
Used by ``exec`` and by the shim's healthchecks.
"""
from __future__ import annotations

import os
import signal

from . import process, syscalls as sc

NS_ORDER = (("ipc", sc.CLONE_NEWIPC), ("uts", sc.CLONE_NEWUTS), ("net", sc.CLONE_NEWNET),
            ("pid", sc.CLONE_NEWPID), ("cgroup", sc.CLONE_NEWCGROUP), ("mnt", sc.CLONE_NEWNS))


def _same_ns(pid: int, kind: str) -> bool:
    try:
        a = os.stat(f"/proc/self/ns/{kind}")
        b = os.stat(f"/proc/{pid}/ns/{kind}")
        return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
    except OSError:
        return True


def _join(pid1: int) -> None:
    fds = []
    for kind, flag in NS_ORDER:
        if not _same_ns(pid1, kind):
            fds.append((os.open(f"/proc/{pid1}/ns/{kind}", os.O_RDONLY | os.O_CLOEXEC), flag))
    for fd, flag in fds:
        sc.setns(fd, flag)
        os.close(fd)


def _helper(pid1: int, cgroup_procs, proc: dict, stdio, errw: int) -> None:
    try:
        for target, fd in enumerate(stdio):
            if fd is not None and fd != target:
                os.dup2(fd, target, inheritable=True)
        try:
            signal.set_wakeup_fd(-1)            # the caller's (the shim's): closed below
        except ValueError:
            pass
        _close_inherited({errw, proc.get("console_fd", -1)})
        process._join_cgroups(cgroup_procs)
        _join(pid1)
        child = os.fork()
        if child == 0:
            _command(proc, errw)
        os.close(errw)
        while True:
            try:
                _, status = os.waitpid(child, 0)
                break
            except InterruptedError:
                continue
        os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status)
                 else 128 + os.WTERMSIG(status))
    except BaseException as e:  # noqa: BLE001 - a forked child must never return
        process.fail(errw, 126, f"exec failed: {e}")


def _close_inherited(keep: set) -> None:
    """Close every fd the helper got from its caller besides stdio and ``keep``: above all
    the caller's ends of the stdio pipes. Held here, a reader that went away (``exec ... |
    head -1``) would never reach the command as EPIPE/SIGPIPE: it would block for ever."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass                            # the listing's own directory fd


def _command(proc: dict, errw: int) -> None:
    try:
        for sig in (signal.SIGPIPE, signal.SIGXFSZ):   # ignored by Python; SIG_IGN survives exec
            signal.signal(sig, signal.SIG_DFL)
        os.setsid()
        if proc.get("tty"):
            if proc.get("console_fd", -1) >= 0:
                process.open_pty_stdio(proc["console_fd"], console_link=False)
            process.fcntl.ioctl(0, process.termios.TIOCSCTTY, 0)
        process.apply_security(proc)
        process.exec_process(proc)
    except process.SetupError as e:
        process.fail(errw, 127 if e.code == 127 else 126, str(e))
    except BaseException as e:  # noqa: BLE001
        process.fail(errw, 126, f"exec failed: {e}")


def enter(pid1: int, cgroup_procs, proc: dict, stdio=(None, None, None)):
    """Start ``proc`` in the container whose PID 1 has host pid ``pid1``.

    Returns (helper pid, error) — error is None or (exit code, message); wait for the helper
    with os.waitpid to get the command's exit code.
    """
    errr, errw = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        os.close(errr)
        _helper(pid1, cgroup_procs, proc, stdio, errw)
    os.close(errw)
    message = process._read_all(errr)
    if message:
        code, _, text = message.partition(" ")
        return pid, (int(code) if code.isdigit() else 126, text)
    return pid, None
