"""Network namespaces through syscalls (ctypes): create one bind-mounted at a path, run code in it.

    create_netns(path)              new netns, bind-mounted on ``path`` (lo up)
    delete_netns(path)              unmount + unlink (idempotent)
    run_in_netns(path, fn, *args)   call fn in a short-lived thread that joined the netns
    is_netns(path)                  True if ``path`` is a mounted network namespace

The network namespace is per *thread* on Linux, so a fresh thread can unshare/setns without
touching the rest of the process; it exits afterwards and never returns to the host netns.
"""
from __future__ import annotations

import errno
import os

from ..errors import NetworkError

CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MNT_DETACH = 2

_LIBC = []


def _lib():
    """libc through ctypes, loaded on first use (a CLI call that only checks for a netns with
    is_netns never imports ctypes)."""
    if not _LIBC:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)    # libc is already in the process
        libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                               ctypes.c_ulong, ctypes.c_char_p]
        libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
        _LIBC.append(libc)
    return _LIBC[0]


def _check(ret: int, what: str) -> None:
    if ret != 0:
        import ctypes
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_lib().mount(source.encode() if source else None, target.encode(),
                       fstype.encode() if fstype else None, flags,
                       data.encode() if data else None), f"mount {target}")


def umount(target: str, flags: int = MNT_DETACH) -> None:
    _check(_lib().umount2(target.encode(), flags), f"umount {target}")


def _in_thread(fn, *args):
    """Run fn(*args) in a new OS thread; return its result or re-raise its exception.
    (_thread and a lock rather than threading: ~2 ms of imports of a `network connect`.)"""
    import _thread
    box: dict = {}
    done = _thread.allocate_lock()
    done.acquire()

    def runner():
        try:
            box["result"] = fn(*args)
        except BaseException as e:          # noqa: BLE001 - re-raised in the caller
            box["error"] = e
        finally:
            done.release()

    _thread.start_new_thread(runner, ())
    done.acquire()                          # the thread is done with fn (it exits right after)
    if "error" in box:
        raise box["error"]
    return box.get("result")


def _setns(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        _check(_lib().setns(fd, CLONE_NEWNET), f"setns {path}")
    finally:
        os.close(fd)


def _lo_up() -> None:
    import fcntl
    import socket
    import struct
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(s.fileno(), SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def _write_sysctls(sysctls: dict) -> None:
    for key, value in sysctls.items():
        try:
            with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
                f.write(str(value))
        except OSError:
            pass                            # best effort: older kernels lack some keys


def create_netns(path: str, sysctls: dict | None = None) -> None:
    """Create a network namespace bind-mounted on ``path`` with lo up (and sysctls set)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if is_netns(path):
        return
    with open(path, "a"):
        pass

    def make():
        _check(_lib().unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
        from _thread import get_native_id
        mount(f"/proc/self/task/{get_native_id()}/ns/net", path, None, MS_BIND)
        _lo_up()
        _write_sysctls(sysctls or {})

    try:
        _in_thread(make)
    except OSError as e:
        delete_netns(path)
        raise NetworkError(f"cannot create network namespace {path}: {e.strerror}") from e


def delete_netns(path: str) -> None:
    """Unmount and remove a netns file; nothing happens if it is already gone."""
    for _ in range(4):                      # stacked mounts after crashes: peel them all
        try:
            umount(path)
        except OSError as e:
            if e.errno in (errno.EINVAL, errno.ENOENT):
                break
            raise NetworkError(f"cannot unmount network namespace {path}: {e.strerror}") from e
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def is_netns(path: str) -> bool:
    # a mounted netns file lives on nsfs: same device as our own /proc/self/ns/net
    try:
        return os.stat(path).st_dev == os.stat("/proc/self/ns/net").st_dev
    except OSError:
        return False


def run_in_netns(path: str, fn, *args):
    """Call ``fn(*args)`` inside the network namespace at ``path`` (from a throwaway thread)."""
    def inner():
        _setns(path)
        return fn(*args)
    return _in_thread(inner)


def open_sockets_in_netns(path: str, binds: list[tuple[int, str, int]]) -> list:
    """Create sockets inside the netns and bind them: binds = [(socktype, ip, port)]."""
    import socket

    def make():
        socks = []
        try:
            for socktype, ip, port in binds:
                s = socket.socket(socket.AF_INET, socktype)
                socks.append(s)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((ip, port))
                if socktype == socket.SOCK_STREAM:
                    s.listen(64)
        except OSError:
            for s in socks:
                s.close()
            raise
        return socks
    return run_in_netns(path, make)
