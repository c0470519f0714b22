"""Docker Compose v2 on Docker Engine vs pycompose on the same projects, in one run.

    python bench/compose_bench.py [--rounds 5] [--only pycompose]

Projects (generated in a temp dir, image busybox:latest made from busybox-static):
  small: 3 services on 2 networks with 1 volume
  large: 30 services
Scenarios per project: `up -d` cold, `up -d` with nothing to do, `run --rm`, `down`.
Tools alternate round by round; medians and the ratio pycompose / docker are printed.
Docker is used only if `docker info` works ("docker not available" otherwise).
pycompose runs on a private engine root so the benchmark leaves the default store alone, as
the console script of a venv install (bench/_tools.py pycompose_cli), the way users run it.
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
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _tools import docker_compose_cmd, pycompose_cli  # noqa: E402

SMALL = """
name: {name}
services:
  web:
    image: busybox
    command: ["sleep", "3600"]
    networks: [front, back]
    stop_grace_period: 1s
  api:
    image: busybox
    command: ["sleep", "3600"]
    networks: [back]
    volumes: [data:/data]
    depends_on: [db]
    stop_grace_period: 1s
  db:
    image: busybox
    command: ["sleep", "3600"]
    networks: [back]
    volumes: [data:/var/lib/db]
    stop_grace_period: 1s
networks:
  front: {{}}
  back: {{}}
volumes:
  data: {{}}
"""


def large(name: str) -> str:
    body = "".join(f"  s{i}:\n    image: busybox\n    command: [\"sleep\", \"3600\"]\n"
                   f"    stop_grace_period: 1s\n" for i in range(30))
    return f"name: {name}\nservices:\n{body}"


def docker_available() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0




def make_rootfs_tar(dest: Path) -> Path:
    sys.path.insert(0, str(REPO))
    from tests.fixtures.busybox import make_layer_tar
    return make_layer_tar(dest)


class Tool:
    def __init__(self, name: str, argv: list[str], env: dict) -> None:
        self.name, self.argv, self.env = name, argv, env

    def run(self, project_dir: Path, *args: str, check: bool = True) -> float:
        start = time.perf_counter()
        proc = subprocess.run([*self.argv, *args], cwd=project_dir, env=self.env,
                              capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if check and proc.returncode != 0:
            raise RuntimeError(f"{self.name} {' '.join(args)} failed: {proc.stderr.strip()[-500:]}")
        return elapsed


def setup_tools(tmp: Path, only: str) -> list[Tool]:
    tar = make_rootfs_tar(tmp / "busybox.tar")
    tools = []
    if only in ("", "docker"):
        if docker_available():
            env = dict(os.environ)
            subprocess.run(["docker", "import", "--change", 'CMD ["sh"]', str(tar), "busybox:latest"],
                           check=True, capture_output=True)
            tools.append(Tool("docker", docker_compose_cmd(), env))
        else:
            print("docker not available")
    if only in ("", "pycompose"):
        env = dict(os.environ, PYCOMPOSE_ROOT=str(tmp / "pc-root"),
                   PYCOMPOSE_RUNROOT=f"/run/pycompose-bench-{uuid.uuid4().hex[:6]}",
                   PYTHONPATH=str(REPO), COMPOSE_PROGRESS="quiet")
        argv = pycompose_cli()           # the installed console script, as users run it
        subprocess.run([*argv, "image", "import", "--change", 'CMD ["sh"]', str(tar), "busybox:latest"],
                       check=True, capture_output=True, env=env)
        tools.append(Tool("pycompose", argv, env))
    return tools


def bench_project(tools, tmp: Path, label: str, text_for, rounds: int) -> dict:
    results: dict = {}
    for r in range(rounds):
        order = tools if r % 2 == 0 else list(reversed(tools))
        for tool in order:
            d = tmp / f"{label}-{tool.name}"
            d.mkdir(exist_ok=True)
            (d / "compose.yaml").write_text(text_for(f"bench{label}{tool.name}"))
            service = "db" if label == "small" else "s0"
            times = {
                "up -d (cold)": tool.run(d, "up", "-d"),
                "up -d (nothing to do)": tool.run(d, "up", "-d"),
                "run --rm": tool.run(d, "run", "--rm", "-T", service, "true"),
                "down": tool.run(d, "down", "-v", "-t", "1"),
            }
            for k, v in times.items():
                results.setdefault((label, k), {}).setdefault(tool.name, []).append(v)
    return results


def report(results: dict) -> None:
    print(f"{'project':<7} {'scenario':<24} {'docker':>9} {'pycompose':>10} {'ratio':>7}")
    for (label, scenario), per_tool in results.items():
        d = statistics.median(per_tool["docker"]) if "docker" in per_tool else None
        p = statistics.median(per_tool["pycompose"]) if "pycompose" in per_tool else None
        ratio = f"{p / d:.2f}x" if d and p else "-"
        d_text = "-" if d is None else f"{d:.3f}s"
        p_text = "-" if p is None else f"{p:.3f}s"
        print(f"{label:<7} {scenario:<24} {d_text:>9} {p_text:>10} {ratio:>7}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", choices=("docker", "pycompose"), default="")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="compose-bench-"))
    tools = []
    try:
        tools = setup_tools(tmp, args.only)
        results = {}
        results.update(bench_project(tools, tmp, "small", lambda n: SMALL.format(name=n), args.rounds))
        results.update(bench_project(tools, tmp, "large", large, args.rounds))
        report(results)
    finally:
        for tool in tools:
            for d in tmp.glob(f"*-{tool.name}"):
                tool.run(d, "down", "-v", "-t", "0", check=False)
            runroot = tool.env.get("PYCOMPOSE_RUNROOT")
            if runroot:
                shutil.rmtree(runroot, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
