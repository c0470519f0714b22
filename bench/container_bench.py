"""Benchmark: `pycompose container run --rm busybox true` vs `docker run --rm busybox true`,
and the resident memory of a running container's shim vs containerd-shim-runc-v2.

    python3 bench/container_bench.py [--runs 10] [--network bridge|none]

Both engines run the same busybox-static image (imported from the same layer tar, no
registry needed); the two commands alternate, so both see the same machine load. Target:
pycompose ≤ 0.5 × docker; shim RSS ≤ 13 MB (detached `run -d` and foreground `run` shims).
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
from _tools import pycompose_cli  # noqa: E402  (bench/ is sys.path[0])

DOCKER_IMAGE = "pycompose-bench/busybox:latest"
SHIM_TARGET_KB = 13 * 1024


def _env(root: Path, runroot: Path) -> dict:
    env = dict(os.environ, PYCOMPOSE_ROOT=str(root), PYCOMPOSE_RUNROOT=str(runroot),
               PYTHONPATH=str(REPO))
    env.pop("PYTHONDONTWRITEBYTECODE", None)        # a real install has compiled bytecode
    return env


def _run_timed(argv: list[str], env=None) -> float:
    t0 = time.perf_counter()
    res = subprocess.run(argv, env=env, capture_output=True, timeout=120)
    elapsed = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {res.stderr.decode()[-500:]}")
    return elapsed


def _time_runs(argv: list[str], runs: int, env=None) -> list[float]:
    _run_timed(argv, env)                                               # warm-up
    return [_run_timed(argv, env) for _ in range(runs)]


def _time_alternating(ours: list[str], env: dict, theirs: list[str], runs: int):
    """Ours and docker's one after the other, ``runs`` times: both see the same load."""
    _run_timed(ours, env)
    _run_timed(theirs)
    a, b = [], []
    for _ in range(runs):
        a.append(_run_timed(ours, env))
        b.append(_run_timed(theirs))
    return a, b


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _shim_rss(env: dict, foreground: bool = False) -> int:
    """RSS of the shim of a running container: `run -d` (a shim exec'd by start) or a
    foreground `run` (the standby shim the CLI started first)."""
    cli = pycompose_cli(refresh=False) + ["container"]
    name = f"bench-rss-{os.getpid()}-{int(foreground)}"
    fg = None
    if foreground:
        fg = subprocess.Popen(cli + ["run", "--name", name, "--network", "none", "busybox",
                                     "sleep", "30"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    else:
        subprocess.run(cli + ["run", "-d", "--name", name, "--network", "none", "busybox",
                              "sleep", "30"], env=env, capture_output=True, check=True)
    try:
        from engine.api import Engine
        eng = Engine(env["PYCOMPOSE_ROOT"], env["PYCOMPOSE_RUNROOT"])
        deadline = time.monotonic() + 30
        while True:
            try:
                st = eng.containers.store.state_file(eng.containers.inspect(name).id).read()
                if st.get("shim_pid"):
                    break
            except Exception:  # noqa: BLE001 - not created yet
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the container did not start")
            time.sleep(0.05)
        time.sleep(0.5)
        return _rss_kb(st["shim_pid"])
    finally:
        subprocess.run(cli + ["rm", "-f", name], env=env, capture_output=True)
        if fg is not None:
            fg.wait(timeout=30)


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
        ours_argv = [*pycompose_cli(), "container", "run", "--rm",
                     "--network", args.network, "busybox", "true"]
        rss = _shim_rss(env)
        rss_fg = _shim_rss(env, foreground=True)
        print(f"pycompose shim RSS: {rss / 1024:.1f} MB (run -d), {rss_fg / 1024:.1f} MB "
              f"(foreground run) (target <= {SHIM_TARGET_KB / 1024:.0f} MB)")
        if not _docker_ok():
            ours = _time_runs(ours_argv, args.runs, env)
            med = statistics.median(ours)
            print(f"pycompose container run --rm busybox true: median {med * 1000:.0f} ms "
                  f"(min {min(ours) * 1000:.0f}, n={len(ours)}, network {args.network})")
            print("docker not available")
            return
        subprocess.run(["docker", "import", "--change", 'CMD ["sh"]', str(layer), DOCKER_IMAGE],
                       capture_output=True, check=True)
        ours, theirs = _time_alternating(
            ours_argv, env, ["docker", "run", "--rm", "--network", args.network, DOCKER_IMAGE,
                             "true"], args.runs)
        med, dmed = statistics.median(ours), statistics.median(theirs)
        print(f"pycompose container run --rm busybox true: median {med * 1000:.0f} ms "
              f"(min {min(ours) * 1000:.0f}, n={len(ours)}, network {args.network})")
        print(f"docker run --rm busybox true: median {dmed * 1000:.0f} ms (min {min(theirs) * 1000:.0f})")
        print(f"ratio pycompose/docker: {med / dmed:.2f} (target <= 0.5; runs alternate)")
        cid = subprocess.run(["docker", "run", "-d", DOCKER_IMAGE, "sleep", "30"],
                             capture_output=True, text=True).stdout.strip()
        time.sleep(0.5)
        drss = _docker_shim_rss()
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True)
        if drss:
            print(f"containerd-shim RSS: {drss / 1024:.1f} MB; ratio {rss / drss:.2f}")
    finally:
        _wait_shims(str(work))
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(runroot, ignore_errors=True)


def _wait_shims(root: str, timeout: float = 30.0) -> None:
    """Shims release (network sandbox, rootfs) after a `run --rm` returned: let them end
    before the engine root goes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = False
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if b"engine.runtime.shim" in cmd and root.encode() in cmd:
                busy = True
                break
        if not busy:
            return
        time.sleep(0.1)


if __name__ == "__main__":
    main()
