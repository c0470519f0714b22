"""engine/locks.py: blocking wait without back-off sleeps, timeout naming the holder, no lock
left behind by a timed-out waiter, cheap pid record."""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time

import pytest

from engine.errors import Locked
from engine.locks import flock

HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.pwrite(fd, str(os.getpid()).encode(), 0)
print("held", flush=True)
sys.stdin.readline()                       # release when told
"""


@pytest.fixture
def holder(tmp_path):
    """A separate process holding the lock until .release() (or the end of the test)."""
    path = tmp_path / "x.lock"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "held\n"

    def release():
        if proc.poll() is None:
            proc.stdin.write("\n")
            proc.stdin.flush()
            proc.wait(10)
    proc.path, proc.release = path, release
    yield proc
    release()


def _free(path) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_waiter_gets_the_lock_once_released(holder):
    events = []
    timer = threading.Timer(0.2, lambda: (events.append("released"), holder.release()))
    timer.start()
    with flock(holder.path, timeout=10, what="test"):
        events.append("acquired")
        assert holder.path.read_text().strip() == str(os.getpid())
    timer.join()
    assert events == ["released", "acquired"]
    assert _free(holder.path)


def test_timeout_names_the_holder_and_leaves_no_lock(holder):
    with pytest.raises(Locked, match=rf"timed out after 0.3s waiting for the lock on test "
                                     rf"\(held by pid {holder.pid}\)"):
        with flock(holder.path, timeout=0.3, what="test"):
            pytest.fail("the lock was not free")
    holder.release()
    deadline = time.monotonic() + 5                  # the abandoned waiter gives the lock back
    while not _free(holder.path) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _free(holder.path)


def test_wait_from_a_worker_thread(holder):
    """No SIGALRM: waiting works outside the main thread."""
    results = []

    def worker():
        with flock(holder.path, timeout=10):
            results.append("in")
    t = threading.Thread(target=worker)
    t.start()
    time.sleep(0.1)
    assert results == []
    holder.release()
    t.join(10)
    assert results == ["in"]


def test_shared_locks_coexist_and_exclude_writers(tmp_path):
    path = tmp_path / "s.lock"
    with flock(path, shared=True), flock(path, shared=True):
        with pytest.raises(Locked):
            with flock(path, timeout=0.1):
                pass
    with flock(path, timeout=1):
        pass


def test_pid_record_overwrites_a_longer_one(tmp_path):
    path = tmp_path / "p.lock"
    path.write_text("9" * 30)
    with flock(path):
        assert path.read_text().split()[0] == str(os.getpid())
        assert len(path.read_text()) == 30                  # one pwrite, no truncation
