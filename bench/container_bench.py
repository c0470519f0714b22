"""Benchmark: `pycompose container run --rm busybox true` vs `docker run --rm busybox true`,
and the resident memory of a running container's shim vs containerd-shim-runc-v2.

    python3 bench/container_bench.py [--runs 10] [--network bridge|none]

Both engines run the same busybox-static image (imported from the same layer tar, no
registry needed). Target: pycompose ≤ 0.5 × docker; shim RSS ≤ 13 MB.
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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DOCKER_IMAGE = "pycompose-bench/busybox:latest"
SHIM_TARGET_KB = 13 * 1024


def _env(root: Path, runroot: Path) -> dict:
    env = dict(os.environ, PYCOMPOSE_ROOT=str(root), PYCOMPOSE_RUNROOT=str(runroot),
               PYTHONPATH=str(REPO))
    env.pop("PYTHONDONTWRITEBYTECODE", None)        # a real install has compiled bytecode
    return env


def _time_runs(argv: list[str], runs: int, env=None) -> list[float]:
    subprocess.run(argv, env=env, capture_output=True, timeout=120)     # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        res = subprocess.run(argv, env=env, capture_output=True, timeout=120)
        times.append(time.perf_counter() - t0)
        if res.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {res.stderr.decode()[-500:]}")
    return times


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _shim_rss(env: dict) -> int:
    cli = [sys.executable, "-m", "compose", "container"]
    cid = subprocess.run(cli + ["run", "-d", "busybox", "sleep", "30"], env=env,
                         capture_output=True, text=True, check=True).stdout.strip()
    try:
        from engine.api import Engine
        eng = Engine(env["PYCOMPOSE_ROOT"], env["PYCOMPOSE_RUNROOT"])
        st = eng.containers.store.state_file(cid).read()
        time.sleep(0.5)
        return _rss_kb(st["shim_pid"])
    finally:
        subprocess.run(cli + ["rm", "-f", cid], env=env, capture_output=True)


def _docker_ok() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0


def _docker_shim_rss() -> int:
    out = subprocess.run(["ps", "-eo", "rss=,comm="], capture_output=True, text=True).stdout
    values = [int(line.split()[0]) for line in out.splitlines() if "containerd-shim" in line]
    return max(values) if values else 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--network", default="bridge")
    args = ap.parse_args()
    from tests.fixtures.busybox import make_layer_tar
    work = Path(tempfile.mkdtemp(prefix="pycompose-bench-"))
    runroot = Path("/run") / f"pycompose-bench-{os.getpid()}"
    try:
        layer = make_layer_tar(work / "layer.tar")
        env = _env(work / "root", runroot)
        from engine.api import Engine
        Engine(env["PYCOMPOSE_ROOT"], env["PYCOMPOSE_RUNROOT"]).images.import_tarball(
            layer, "busybox:latest", changes=['CMD ["sh"]'])
        ours = _time_runs([sys.executable, "-m", "compose", "container", "run", "--rm",
                           "--network", args.network, "busybox", "true"], args.runs, env)
        med = statistics.median(ours)
        print(f"pycompose container run --rm busybox true: median {med * 1000:.0f} ms "
              f"(min {min(ours) * 1000:.0f}, n={len(ours)}, network {args.network})")
        rss = _shim_rss(env)
        print(f"pycompose shim RSS: {rss / 1024:.1f} MB (target <= {SHIM_TARGET_KB / 1024:.0f} MB)")
        if not _docker_ok():
            print("docker not available")
            return
        subprocess.run(["docker", "import", "--change", 'CMD ["sh"]', str(layer), DOCKER_IMAGE],
                       capture_output=True, check=True)
        theirs = _time_runs(["docker", "run", "--rm", "--network", args.network, DOCKER_IMAGE,
                             "true"], args.runs)
        dmed = statistics.median(theirs)
        print(f"docker run --rm busybox true: median {dmed * 1000:.0f} ms (min {min(theirs) * 1000:.0f})")
        print(f"ratio pycompose/docker: {med / dmed:.2f} (target <= 0.5)")
        cid = subprocess.run(["docker", "run", "-d", DOCKER_IMAGE, "sleep", "30"],
                             capture_output=True, text=True).stdout.strip()
        time.sleep(0.5)
        drss = _docker_shim_rss()
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True)
        if drss:
            print(f"containerd-shim RSS: {drss / 1024:.1f} MB; ratio {rss / drss:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(runroot, ignore_errors=True)


if __name__ == "__main__":
    main()
