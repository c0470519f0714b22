"""flock-based locks. The kernel releases them when the holder dies: no stale pidfiles.

Lock order (always take in this order, never the reverse):
    project:<name>  (compose)  >  network:<name>  >  container:<id>  >  images  >  snapshots
Never hold a store lock across a download or a build step.
"""
from __future__ import annotations

import errno
import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path

from .errors import Locked


@contextmanager
def flock(path: Path, *, shared: bool = False, timeout: float = 60.0, what: str = ""):
    """Hold an flock on ``path`` for the duration of the block.

    Writes the holder's pid into the file (informational) so a timeout can name it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        op = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, op | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = _holder(fd)
                    raise Locked(f"timed out after {timeout:g}s waiting for the lock on "
                                 f"{what or path.name}" + (f" (held by pid {holder})" if holder else ""))
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
        if not shared:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode().strip()
    except OSError:
        return ""
