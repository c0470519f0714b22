"""Create a container's process tree: namespaces, PID 1, privileges, exec.

    spawn(plan, stdio)                     fork an intermediate that joins the cgroup and
      └─ intermediate                      the namespaces (setns / unshare), then forks
           └─ PID 1 of the new pid ns      builds the root (rootfs.build), pivot_root,
                [init: true → PID 1 stays  reaps and forwards signals; its child goes on]
                └─ drop caps, seccomp, user, env, workdir → execve(argv)

Errors before execve travel back over a CLOEXEC pipe ("<exit code> <message>"); EOF on the
pipe means execve succeeded. 127 = command not found, 126 = not executable (Docker's codes).
Everything the children need is imported before any fork, so nothing is imported after
pivot_root.
"""
from __future__ import annotations

import errno
import fcntl
import os
import resource
import signal
import socket
import struct
import termios

from engine.seccomp.filter import build_filter, install_filter

from . import rootfs, syscalls as sc
from .caps import CAPS, mask
from .identity import UnknownUser, resolve

NS_FLAGS = {"mnt": sc.CLONE_NEWNS, "uts": sc.CLONE_NEWUTS, "ipc": sc.CLONE_NEWIPC,
            "pid": sc.CLONE_NEWPID, "net": sc.CLONE_NEWNET, "cgroup": sc.CLONE_NEWCGROUP}
# Linux RLIMIT_* numbers (asm-generic/resource.h)
RLIMITS = {"cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5, "nproc": 6,
           "nofile": 7, "memlock": 8, "as": 9, "locks": 10, "sigpending": 11,
           "msgqueue": 12, "nice": 13, "rtprio": 14, "rttime": 15}
FORWARDED_SIGNALS = [s for s in signal.Signals
                     if s not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD)]
LAST_CAP = sc.last_cap()


def _own_bounding_set() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapBnd:"):
                    return int(line.split()[1], 16)
    except (OSError, ValueError):
        pass
    return (1 << (LAST_CAP + 1)) - 1


# a container never gets more than the engine itself holds (e.g. privileged in a VM sandbox)
OWN_BOUNDING = _own_bounding_set()


def cap_mask(names) -> int:
    return mask(names, LAST_CAP) & OWN_BOUNDING


class SetupError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------- the final exec


def lookup_path(cmd: str, env: list[str]) -> str:
    if "/" in cmd:
        return cmd
    path = next((e[5:] for e in env if e.startswith("PATH=")), "")
    denied = ""
    for d in path.split(":"):
        candidate = os.path.join(d or ".", cmd)
        if os.path.isfile(candidate):
            if os.access(candidate, os.X_OK):
                return candidate
            denied = candidate
    if denied:
        raise SetupError(126, f'exec: "{cmd}": permission denied')
    raise SetupError(127, f'exec: "{cmd}": executable file not found in $PATH')


def apply_security(sec: dict) -> None:
    """Bounding set, no_new_privs and seccomp (still root with full caps here)."""
    keep = cap_mask(sec["caps"])
    sc.drop_bounding_caps(keep, LAST_CAP)
    if sec.get("no_new_privs"):
        sc.prctl(sc.PR_SET_NO_NEW_PRIVS, 1)
    if sec.get("seccomp", True):
        install_filter(build_filter(set(sec["caps"])))


def become_user(user: str, group_add, caps: list[str]) -> str:
    """setgroups/setgid/setuid, then the final capability sets. Returns the user's home."""
    try:
        uid, gid, groups, home = resolve(user, group_add)
    except UnknownUser as e:
        raise SetupError(125, str(e)) from None
    keep = cap_mask(caps)
    sc.prctl(sc.PR_SET_KEEPCAPS, 1)
    os.setgroups(groups)
    os.setgid(gid)
    os.setuid(uid)
    sc.prctl(sc.PR_SET_KEEPCAPS, 0)
    sc.clear_ambient_caps()
    sc.capset(keep if uid == 0 else 0, keep, 0)
    return home


def exec_process(proc: dict) -> None:
    """user, env, cwd, exec. Never returns (raises SetupError on failure)."""
    home = become_user(proc.get("user", ""), proc.get("group_add", ()), proc["caps"])
    env = list(proc["env"])
    if not any(e.startswith("HOME=") for e in env):
        env.append(f"HOME={home}")
    workdir = proc.get("workdir") or "/"
    try:
        os.chdir(workdir)
    except OSError as e:
        raise SetupError(126, f"chdir to cwd ({workdir!r}) set in config.json failed: "
                              f"{e.strerror.lower()}") from None
    argv = proc["argv"]
    if not argv:
        raise SetupError(125, "no command specified")
    path = lookup_path(argv[0], env)
    if proc.get("pdeathsig"):
        sc.prctl(sc.PR_SET_PDEATHSIG, signal.SIGKILL)
    try:
        os.execve(path, argv, dict(e.split("=", 1) if "=" in e else (e, "") for e in env))
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ENOTDIR):
            raise SetupError(127, f"exec: {argv[0]!r}: no such file or directory") from None
        if e.errno in (errno.EACCES, errno.EPERM, errno.ENOEXEC, errno.EISDIR):
            raise SetupError(126, f"exec: {argv[0]!r}: permission denied") from None
        raise SetupError(126, f"exec: {argv[0]!r}: {e.strerror}") from None


def fail(errw: int, code: int, message: str) -> None:
    try:
        os.write(errw, f"{code} {message}".encode()[:4000])
    except OSError:
        pass
    os._exit(code)


# --------------------------------------------------------------------------- PID 1


def _cloexec_all(keep: int) -> None:
    """No host fd may leak into the container: mark every fd >= 3 close-on-exec."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd != keep:
            try:
                os.set_inheritable(fd, False)
            except OSError:
                pass


def set_rlimits(ulimits) -> None:
    for name, soft, hard in ulimits:
        resource.setrlimit(RLIMITS[name], (resource.RLIM_INFINITY if soft < 0 else soft,
                                           resource.RLIM_INFINITY if hard < 0 else hard))


def run_init(child: int) -> None:
    """PID 1 for ``init: true``: forward signals to ``child``, reap everything, exit like it."""
    def forward(signum, _frame):
        try:
            os.kill(child, signum)
        except OSError:
            pass
    for s in FORWARDED_SIGNALS:
        try:
            signal.signal(s, forward)
        except (OSError, ValueError):
            pass
    sc.set_name("init")
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(0)
        if pid == child:
            os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status)
                     else 128 + os.WTERMSIG(status))


TIOCSPTLCK = 0x40045431
TIOCGPTN = 0x80045430


def open_pty_stdio(console_sock: int, console_link: bool) -> None:
    """Open a pty in the devpts at /dev/pts (the container's, after pivot_root or setns),
    make its slave our stdio (and /dev/console), hand the master over ``console_sock``."""
    master = os.open("/dev/pts/ptmx", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    fcntl.ioctl(master, TIOCSPTLCK, struct.pack("i", 0))
    number = struct.unpack("I", fcntl.ioctl(master, TIOCGPTN, struct.pack("I", 0)))[0]
    # docker's default size, set before exec: the shim's own resize comes after PID 1 runs
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    slave_path = f"/dev/pts/{number}"
    slave = os.open(slave_path, os.O_RDWR | os.O_NOCTTY)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.close(slave)
    if console_link:
        if not os.path.exists("/dev/console"):
            os.close(os.open("/dev/console", os.O_CREAT | os.O_WRONLY, 0o600))
        sc.mount(slave_path, "/dev/console", None, sc.MS_BIND)
    sock = socket.socket(fileno=console_sock)
    try:
        socket.send_fds(sock, [b"m"], [master])
    finally:
        sock.detach()
        os.close(console_sock)
        os.close(master)


def setup_console(console_sock: int) -> None:
    open_pty_stdio(console_sock, console_link=True)


def container_main(plan: dict, errw: int, console: int = -1) -> None:
    """Runs as PID 1 of the new pid namespace. Never returns."""
    try:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD):
            signal.signal(s, signal.SIG_DFL)
        if plan.get("setsid", True):
            os.setsid()
        rootfs.build(plan)
        if plan.get("tty"):
            if console >= 0:
                setup_console(console)
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        _cloexec_all(keep=errw)
        if plan.get("hostname"):
            sc.sethostname(plan["hostname"])
        if plan.get("domainname"):
            sc.setdomainname(plan["domainname"])
        if plan["namespaces"].get("net") == "new":
            sc.loopback_up()
        set_rlimits(plan.get("ulimits", ()))
        proc = plan["process"]
        apply_security(proc)
        if plan.get("init"):
            child = os.fork()
            if child:
                os.close(errw)
                sc.capset(cap_mask(proc["caps"]), cap_mask(proc["caps"]), 0)
                run_init(child)
        exec_process(proc)
    except SetupError as e:
        fail(errw, e.code, str(e))
    except OSError as e:
        fail(errw, 125, f"container init: {e.strerror or e}"
                        + (f": {e.filename}" if e.filename and str(e.filename) not in str(e) else ""))
    except BaseException as e:  # noqa: BLE001 - nothing may escape a forked child
        fail(errw, 125, f"container init: {e!r}")


# --------------------------------------------------------------------------- the fork chain


def _join_cgroups(procs_files) -> None:
    me = str(os.getpid()).encode()
    for path in procs_files:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, me)
        finally:
            os.close(fd)


def enter_namespaces(namespaces: dict) -> None:
    """setns into joined namespaces (values that are paths), then unshare the "new" ones."""
    flags = 0
    for kind in ("net", "ipc", "uts", "pid", "cgroup", "mnt"):
        value = namespaces.get(kind, "host")
        if value == "new":
            flags |= NS_FLAGS[kind]
        elif value and value != "host":
            fd = os.open(value, os.O_RDONLY | os.O_CLOEXEC)
            try:
                sc.setns(fd, NS_FLAGS[kind])
            finally:
                os.close(fd)
    if flags:
        sc.unshare(flags)


def _intermediate(plan: dict, stdio, errw: int, pidw: int, wait: bool,
                  console: int = -1) -> None:
    try:
        for target, fd in enumerate(stdio):
            if fd is not None and fd != target:
                os.dup2(fd, target, inheritable=True)
        _join_cgroups(plan.get("cgroup_procs", ()))
        if plan.get("oom_score_adj"):
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write(str(plan["oom_score_adj"]))
        enter_namespaces(plan["namespaces"])
        pid = os.fork()
        if pid == 0:
            os.close(pidw)
            container_main(plan, errw, console)
        os.write(pidw, str(pid).encode())
        os.close(pidw)
        if not wait:
            os._exit(0)
        os.close(errw)
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status)
                 else 128 + os.WTERMSIG(status))
    except OSError as e:
        fail(errw, 125, f"container setup: {e}")
    except BaseException as e:  # noqa: BLE001
        fail(errw, 125, f"container setup: {e!r}")


def spawn(plan: dict, stdio=(None, None, None), *, wait: bool = False, console: int = -1):
    """Start the container process tree.

    Returns (intermediate pid, PID-1 host pid, error) where error is None or
    (exit code, message). With ``wait`` the intermediate waits for PID 1 and exits with
    its code (no subreaper needed); otherwise it exits at once and the caller — which
    should be a child subreaper — inherits PID 1.
    """
    errr, errw = os.pipe2(os.O_CLOEXEC)
    pidr, pidw = os.pipe2(os.O_CLOEXEC)
    inter = os.fork()
    if inter == 0:
        os.close(errr)
        os.close(pidr)
        _intermediate(plan, stdio, errw, pidw, wait, console)
    os.close(errw)
    os.close(pidw)
    pid1 = _read_all(pidr)
    message = _read_all(errr)
    error = None
    if message:
        code, _, text = message.partition(" ")
        error = (int(code) if code.isdigit() else 125, text)
    return inter, int(pid1) if pid1.isdigit() else 0, error


def _read_all(fd: int) -> str:
    chunks = []
    try:
        while True:
            try:
                b = os.read(fd, 4096)
            except InterruptedError:
                continue
            if not b:
                break
            chunks.append(b)
    finally:
        os.close(fd)
    return b"".join(chunks).decode(errors="replace")


def all_cap_names() -> list[str]:
    return [n for n, bit in CAPS.items() if bit <= LAST_CAP]
