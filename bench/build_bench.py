"""`docker build` vs `pycompose image build` on the same context, in one run.

    python bench/build_bench.py [--rounds 5] [--files 300] [--only pycompose]

Context (generated in a temp dir): ``--files`` small source files in a tree, one 4 MiB
file, a .dockerignore, and a multi-stage Dockerfile FROM busybox:latest (made from
busybox-static, imported into both engines) with COPY / RUN / WORKDIR / ENV steps.
Scenarios: cold build (first build of the context), cached rebuild (nothing changed),
rebuild after touching one source file (invalidates from the COPY on).
Tools alternate round by round; medians and the ratio pycompose / docker are printed.
Docker is used only if `docker info` works ("docker not available" otherwise).
pycompose runs on a private engine root.
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
from _tools import pycompose_cli  # noqa: E402  (bench/ is sys.path[0])

REPO = Path(__file__).resolve().parents[1]

DOCKERFILE = """\
FROM busybox AS build
WORKDIR /build
COPY src/ ./src/
RUN find src -type f | wc -l > count.txt
FROM busybox
ENV APP_HOME=/app
WORKDIR /app
COPY --from=build /build/count.txt .
COPY big.bin .
COPY src/ ./src/
RUN echo built > done.txt
CMD ["cat", "/app/count.txt"]
"""


def make_context(root: Path, files: int) -> Path:
    ctx = root / "ctx"
    for i in range(files):
        p = ctx / "src" / f"pkg{i % 20}" / f"mod{i}.py"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"value = {i}\n" * 20)
    (ctx / "big.bin").write_bytes(os.urandom(4 << 20))
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    (ctx / ".dockerignore").write_text("*.tmp\n")
    return ctx


def docker_available() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


class Tool:
    def __init__(self, name: str, base: list[str], build_cmd: list[str], env: dict) -> None:
        self.name, self.base, self.build_cmd, self.env = name, base, build_cmd, env

    def startup(self) -> float:
        """The CLI's fixed cost: ``image ls -q``."""
        start = time.perf_counter()
        subprocess.run([*self.base, "image", "ls", "-q"], env=self.env, capture_output=True)
        return time.perf_counter() - start

    def build(self, ctx: Path, tag: str, *extra: str) -> float:
        start = time.perf_counter()
        proc = subprocess.run([*self.base, *self.build_cmd, "-q", "-t", tag, *extra, str(ctx)],
                              env=self.env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{self.name} build failed: {proc.stderr.strip()[-800:]}")
        return elapsed


def setup_tools(tmp: Path, only: str) -> list[Tool]:
    sys.path.insert(0, str(REPO))
    from tests.fixtures.busybox import make_layer_tar
    tar = make_layer_tar(tmp / "busybox.tar")
    tools = []
    if only in ("", "docker"):
        if docker_available():
            subprocess.run(["docker", "import", "--change", 'CMD ["sh"]', str(tar), "busybox:latest"],
                           check=True, capture_output=True)
            buildx = subprocess.run(["docker", "buildx", "version"], capture_output=True).returncode == 0
            if not buildx:
                print("docker: buildx missing, using the classic builder (DOCKER_BUILDKIT=0)")
            tools.append(Tool("docker", ["docker"], ["build"],
                              dict(os.environ, DOCKER_BUILDKIT="1" if buildx else "0")))
        else:
            print("docker not available")
    if only in ("", "pycompose"):
        # bytecode as an installed package has it (the checkout may run with
        # PYTHONDONTWRITEBYTECODE=1, which would recompile every module on every call)
        env = dict(os.environ, PYCOMPOSE_ROOT=str(tmp / "pc-root"),
                   PYCOMPOSE_RUNROOT=f"/run/pycompose-bench-{uuid.uuid4().hex[:6]}",
                   PYTHONPATH=str(REPO), PYTHONPYCACHEPREFIX=str(tmp / "pyc"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        argv = pycompose_cli()            # the installed console script, as users run it
        subprocess.run([*argv, "image", "import", "--change", 'CMD ["sh"]', str(tar), "busybox:latest"],
                       check=True, capture_output=True, env=env)
        tools.append(Tool("pycompose", argv, ["image", "build"], env))
    return tools


def bench(tools, tmp: Path, files: int, rounds: int) -> dict:
    results: dict = {}
    for r in range(rounds):
        order = tools if r % 2 == 0 else list(reversed(tools))
        for tool in order:
            ctx = make_context(tmp / f"r{r}-{tool.name}", files)
            tag = f"buildbench-{tool.name}-{r}:latest"
            times = {"cold build": tool.build(ctx, tag),
                     "cached rebuild": tool.build(ctx, tag)}
            (ctx / "src/pkg0/mod0.py").write_text("value = 'changed'\n")
            times["one file changed"] = tool.build(ctx, tag)
            times["cli startup (image ls)"] = tool.startup()
            for k, v in times.items():
                results.setdefault(k, {}).setdefault(tool.name, []).append(v)
    return results


def report(results: dict) -> None:
    print(f"{'scenario':<24} {'docker':>9} {'pycompose':>10} {'ratio':>7}")
    for scenario, per_tool in results.items():
        d = statistics.median(per_tool["docker"]) if "docker" in per_tool else None
        p = statistics.median(per_tool["pycompose"]) if "pycompose" in per_tool else None
        ratio = f"{p / d:.2f}x" if d and p else "-"
        ds = f"{d:.3f}s" if d is not None else "-"
        ps = f"{p:.3f}s" if p is not None else "-"
        print(f"{scenario:<24} {ds:>9} {ps:>10} {ratio:>7}")


def cleanup(tools, rounds: int) -> None:
    for tool in tools:
        if tool.name == "docker":
            tags = [f"buildbench-docker-{r}:latest" for r in range(rounds)]
            subprocess.run(["docker", "rmi", "-f", *tags], capture_output=True)
        runroot = tool.env.get("PYCOMPOSE_RUNROOT")
        if runroot:
            shutil.rmtree(runroot, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--only", choices=("docker", "pycompose"), default="")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="build-bench-", dir="/var/tmp"))
    tools = []
    try:
        tools = setup_tools(tmp, args.only)
        report(bench(tools, tmp, args.files, args.rounds))
    finally:
        cleanup(tools, args.rounds)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
