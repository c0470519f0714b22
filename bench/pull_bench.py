"""Pull benchmark: a ~100 MB, 5-layer image from a local registry (Debian's docker-registry on
127.0.0.1), pulled by pycompose's engine into a fresh store vs ``docker pull`` from the same
registry (only when ``docker info`` works). Prints the medians and the ratio.

    python bench/pull_bench.py [--rounds 3] [--size-mb 100]
"""
from __future__ import annotations

import argparse
import gzip
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.api import Engine  # noqa: E402
from tests.fixtures.busybox import make_layer_tar  # noqa: E402
from tests.fixtures.images import Registry  # noqa: E402


def _layer(dest: Path, index: int, size: int) -> Path:
    """A layer of ``size`` bytes: half random (incompressible), half text-like, in 8 files."""
    rnd = random.Random(index)
    words = [b"alpha", b"beta", b"gamma", b"delta", b"lib", b"usr", b"share", b"config\n"]
    with tarfile.open(dest, "w") as tf:
        for f in range(8):
            if f % 2 == 0:
                data = rnd.randbytes(size // 8)
            else:
                data = b" ".join(rnd.choice(words) for _ in range(size // 8 // 6))[: size // 8]
            info = tarfile.TarInfo(f"opt/layer{index}/file{f}.bin")
            info.size, info.mode, info.mtime = len(data), 0o644, 1_600_000_000
            tf.addfile(info, io.BytesIO(data))
    gz = dest.with_suffix(".tar.gz")
    with open(dest, "rb") as src, gzip.open(gz, "wb", compresslevel=1) as out:
        shutil.copyfileobj(src, out, 1 << 20)
    return gz


def build_and_push(work: Path, registry: Registry, size_mb: int) -> str:
    eng = Engine(work / "src-root", Path("/run/pycompose-pullbench") / uuid.uuid4().hex[:8])
    base = make_layer_tar(work / "busybox.tar")
    digests = [eng.images.add_layer(base)[1]]
    per_layer = size_mb * 1_000_000 // 4
    for i in range(4):
        digests.append(eng.images.add_layer(_layer(work / f"l{i}.tar", i, per_layer))[1])
    ref = f"{registry.host}/bench/big:1"
    eng.images.create_image({"Cmd": ["sh"]}, digests, tags=[ref])
    eng.images.push(ref)
    shutil.rmtree(eng.layout.runroot, ignore_errors=True)
    return ref


def time_ours(work: Path, ref: str, rounds: int) -> list[float]:
    times = []
    for r in range(rounds):
        root, runroot = work / f"pull-{r}", Path("/run/pycompose-pullbench") / uuid.uuid4().hex[:8]
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-c",
                        "import sys; from engine.api import Engine; "
                        "Engine(sys.argv[1], sys.argv[2]).images.pull(sys.argv[3])",
                        str(root), str(runroot), ref], check=True,
                       cwd=str(Path(__file__).resolve().parents[1]))
        times.append(time.monotonic() - t0)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(runroot, ignore_errors=True)
    return times


def time_ours_in_process(work: Path, ref: str, rounds: int) -> list[float]:
    """The pull itself, without the interpreter start (~0.5-2 s on a loaded machine)."""
    times = []
    for r in range(rounds):
        root, runroot = work / f"inproc-{r}", Path("/run/pycompose-pullbench") / uuid.uuid4().hex[:8]
        eng = Engine(root, runroot)
        t0 = time.monotonic()
        eng.images.pull(ref)
        times.append(time.monotonic() - t0)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(runroot, ignore_errors=True)
    return times


def docker_available() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def time_docker(ref: str, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        subprocess.run(["docker", "rmi", "-f", ref], capture_output=True)
        t0 = time.monotonic()
        subprocess.run(["docker", "pull", "-q", ref], check=True, capture_output=True)
        times.append(time.monotonic() - t0)
    subprocess.run(["docker", "rmi", "-f", ref], capture_output=True)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size-mb", type=int, default=100)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pull-bench-"))
    registry = Registry(work / "registry")
    try:
        ref = build_and_push(work, registry, args.size_mb)
        ours = time_ours(work, ref, args.rounds)
        inproc = time_ours_in_process(work, ref, args.rounds)
        print(f"pycompose pull: median {statistics.median(ours):.2f}s  ({', '.join(f'{t:.2f}' for t in ours)})"
              "  [new process, like the CLI]")
        print(f"pycompose pull: median {statistics.median(inproc):.2f}s  "
              f"({', '.join(f'{t:.2f}' for t in inproc)})  [in process, no interpreter start]")
        if docker_available():
            theirs = time_docker(ref, args.rounds)
            print(f"docker pull:    median {statistics.median(theirs):.2f}s  ({', '.join(f'{t:.2f}' for t in theirs)})")
            print(f"ratio pycompose/docker: {statistics.median(ours) / statistics.median(theirs):.2f}x "
                  f"(in process {statistics.median(inproc) / statistics.median(theirs):.2f}x; target <= 1.3x)")
        else:
            print("docker not available")
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
