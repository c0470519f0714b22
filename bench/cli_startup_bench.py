"""CLI start-up: the typer-free dispatcher against the typer app, same command lines, one run.

For `ps`, `config`, `network ls` (tiny project, private engine root) it runs, interleaved,
N fresh interpreters of each kind and prints the best wall time and the import time
(-X importtime, summed over top-level imports):
  light : python -m compose <cmd>                 (compose.cli.main.run: light dispatcher)
  typer : python -c 'run_typer(<cmd>)'            (the same command through the typer app)
and, when `docker info` works, Docker Compose v2 (`docker compose` or the docker-compose
binary) for the ratio.

    python bench/cli_startup_bench.py [N]
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
from _tools import docker_compose_cmd  # noqa: E402
COMMANDS = [["ps"], ["config"], ["network", "ls"]]
TYPER_RUNNER = ("import sys; from compose.cli.main import run_typer; "
                "sys.exit(run_typer(sys.argv[1:]))")


def _timed(argv, cwd, env, importtime=False):
    if importtime:
        argv = [argv[0], "-X", "importtime", *argv[1:]]
    start = time.perf_counter()
    cpu_before = _children_cpu()
    out = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    cpu = _children_cpu() - cpu_before
    if out.returncode != 0:
        raise SystemExit(f"{argv} failed: {out.stderr[-500:]}")
    imports = 0
    for line in out.stderr.splitlines():
        parts = line.split("|")
        if (line.startswith("import time:") and len(parts) == 3 and parts[1].strip().isdigit()
                and not parts[2].startswith("  ")):
            imports += int(parts[1])
    return wall, cpu, imports / 1e6


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _docker_available() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    work = tempfile.mkdtemp(prefix="cli-startup-")
    run_dir = tempfile.mkdtemp(prefix="cli-startup-", dir="/run")
    try:
        with open(os.path.join(work, "compose.yaml"), "w") as f:
            f.write("services:\n  web:\n    image: busybox\n    command: sleep 1\n")
        env = dict(os.environ, PYTHONPATH=REPO, PYCOMPOSE_ROOT=os.path.join(work, "root"),
                   PYCOMPOSE_RUNROOT=run_dir)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        docker = _docker_available()
        if not docker:
            print("docker not available")
        for cmd in COMMANDS:
            kinds = {"light": [sys.executable, "-m", "compose", *cmd],
                     "typer": [sys.executable, "-c", TYPER_RUNNER, *cmd]}
            if docker:
                kinds["docker"] = ["docker", *cmd] if cmd[0] == "network" else [*docker_compose_cmd(), *cmd]
            best = {k: [float("inf")] * 3 for k in kinds}
            for _ in range(rounds):
                for kind, argv in kinds.items():
                    wall, cpu, _ = _timed(argv, work, env)
                    imports = _timed(argv, work, env, importtime=True)[2] if kind != "docker" else 0
                    best[kind] = [min(a, b) for a, b in zip(best[kind], (wall, cpu, imports))]
            print(" ".join(cmd))
            for kind, (wall, cpu, imports) in best.items():
                extra = f", imports {imports * 1000:4.0f} ms" if kind != "docker" else ""
                print(f"  {kind:6} best wall {wall * 1000:5.0f} ms, cpu {cpu * 1000:5.0f} ms{extra}")
            print(f"  saved by the light dispatcher: wall {1000 * (best['typer'][0] - best['light'][0]):.0f} ms,"
                  f" cpu {1000 * (best['typer'][1] - best['light'][1]):.0f} ms,"
                  f" imports {1000 * (best['typer'][2] - best['light'][2]):.0f} ms")
            if docker:
                print(f"  ratio light/docker (wall) {best['light'][0] / best['docker'][0]:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
