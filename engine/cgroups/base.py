"""Shared pieces of the v1 / v2 cgroup drivers."""
from __future__ import annotations

import errno
import os
import signal
import time

from engine.errors import RuntimeFailure


def write(path: str, value) -> None:
    """Write one value to a cgroup file; a kernel refusal becomes a clear RuntimeFailure."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError as e:
        raise RuntimeFailure(f"cgroup: cannot open {path}: {e.strerror}") from None
    try:
        os.write(fd, str(value).encode())
    except OSError as e:
        raise RuntimeFailure(f"cgroup: the kernel refused {value!r} for "
                             f"{os.path.basename(path)}: {e.strerror}") from None
    finally:
        os.close(fd)


def read(path: str, default: str = "") -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def read_int(path: str, default: int = 0) -> int:
    value = read(path)
    try:
        return int(value.split()[0])
    except (ValueError, IndexError):
        return default


def keyed(path: str) -> dict:
    out = {}
    for line in read(path).splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = int(parts[1])
            except ValueError:
                pass
    return out


def pids_in(procs_file: str) -> list[int]:
    return [int(p) for p in read(procs_file).split() if p.isdigit()]


def rmdir_retry(path: str, procs_file: str, timeout: float = 2.0) -> None:
    """rmdir a cgroup, SIGKILLing leftovers; gone already is fine."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError as e:
            if e.errno != errno.EBUSY or time.monotonic() > deadline:
                raise RuntimeFailure(f"cgroup: cannot remove {path}: {e.strerror}") from None
        for pid in pids_in(procs_file):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)
