"""On the REAL engine: `exec ... | head -1` ends quietly like Docker Compose (status 141, no
traceback), and the command in the container dies of SIGPIPE instead of blocking."""
from __future__ import annotations

import pytest

from tests.compose.test_e2e_engine import engine_dirs, proj  # noqa: F401 - fixtures

pytestmark = pytest.mark.root

SLEEPER = """
services:
  a:
    image: busybox
    command: ["sleep", "300"]
    stop_grace_period: 1s
"""


def test_exec_into_a_closed_pipe_exits_quietly(proj):
    code, out, err = proj("up", "-d", text=SLEEPER)
    assert code == 0, err
    p = proj.sub("exec", "-T", "a", "yes")
    try:
        assert p.stdout.readline() == "y\n"
        p.stdout.close()                                # `| head -1` went away
        assert p.wait(timeout=30) == 141                # Docker Compose: killed by SIGPIPE
        err = p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert "Broken pipe" not in err, err                # yes died of SIGPIPE (not ignored)
    code, out, err = proj("exec", "-T", "a", "ps", "-o", "comm")
    assert code == 0 and "yes" not in out.split(), out  # nothing left blocked in the container
