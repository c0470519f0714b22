"""The typer-free fast path of `container run` (compose/cli/container_cmd/fast.py): same output,
exit codes and cleanup as the typer command, without importing typer."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.root

DRIVER = ("import sys\nfrom compose.cli.container_cmd.fast import try_main\n"
          "code = try_main(sys.argv[1:])\n"          # exits unless not taken
          "sys.exit(99 if code is None else 98)\n")


class _Result:
    def __init__(self, res):
        self.returncode, self.stdout = res.returncode, res.stdout
        lines = res.stderr.splitlines(keepends=True)
        self.imports = "".join(ln for ln in lines if ln.startswith("import time:"))
        self.stderr = "".join(ln for ln in lines if not ln.startswith("import time:"))


def _fast(eng, *args):
    env = dict(os.environ, PYCOMPOSE_ROOT=str(eng.layout.root),
               PYCOMPOSE_RUNROOT=str(eng.layout.runroot))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return _Result(subprocess.run([sys.executable, "-X", "importtime", "-c", DRIVER, *args],
                                  capture_output=True, text=True, env=env, timeout=60,
                                  cwd=os.getcwd()))


def test_fast_run_output_codes_cleanup_and_no_typer(ceng):
    res = _fast(ceng, "container", "run", "--rm", "--network", "none", "-e", "X=1", "busybox",
                "sh", "-c", "echo out $X; echo err >&2; exit 3")
    assert (res.returncode, res.stdout, res.stderr) == (3, "out 1\n", "err\n")
    assert "typer" not in res.imports and "engine.runtime" in res.imports
    res = _fast(ceng, "container", "run", "--rm", "--network", "none", "busybox", "nosuchcmd")
    assert res.returncode == 127 and "executable file not found" in res.stderr
    res = _fast(ceng, "container", "run", "--rm", "nosuchimage")
    assert res.returncode == 125 and "No such image" in res.stderr
    assert "Traceback" not in res.stderr
    res = _fast(ceng, "container", "run", "--bogus", "busybox")
    assert res.returncode == 1 and "unrecognized arguments: --bogus" in res.stderr
    assert ceng.containers.list(all=True) == []
    res = _fast(ceng, "container", "run", "-d", "--rm", "--network", "none", "busybox", "true")
    assert res.returncode == 0 and len(res.stdout.strip()) == 64
    ceng.containers.wait(res.stdout.strip(), condition="removed", timeout=20)
    assert _fast(ceng, "container", "ls").returncode == 99        # not taken: the typer app
