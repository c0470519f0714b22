"""Network create and container attach: pycompose's engine vs Docker, in one run.

    python bench/network_bench.py [--rounds 10] [--only pycompose] [--no-refresh]

Scenarios (medians over ``--rounds``, tools alternating round by round):
  network create+rm   NetworkService.create + remove      vs  docker network create / rm
  attach (start)      setup_sandbox + teardown_sandbox of a container on a user network
                      (netns, veth, IP, DNS registration)  vs  docker network connect/disconnect
                                                               of a running container
  hot connect         NetworkService.connect/disconnect of a running sandbox
                                                           vs  docker network connect/disconnect
  cli_create / cli_rm / cli_ls / cli_inspect / cli_connect / cli_disconnect
                      `pycompose network create|rm|ls|inspect|connect|disconnect …`
                      vs  the same `docker network …` command (connect/disconnect: a running
                      busybox container started by each tool)
pycompose runs as a library on a private engine root (no CLI start-up cost counted) except in
the cli scenarios, which run the installed console script of a venv of its own
(bench/_tools.py pycompose_cli: what a user runs), with PYCOMPOSE_ROOT / PYCOMPOSE_RUNROOT
naming the private engine. Docker is used only if ``docker info`` works ("docker not
available" otherwise); its busybox image is imported from busybox-static. Prints ratios
pycompose/docker, and for the CLI rows the interpreter floor measured in the same rounds
(``python -c pass`` with the venv's interpreter: what any Python CLI pays before its first
line) and pycompose's time above that floor.
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
sys.path.insert(0, str(REPO))

from _tools import pycompose_cli, python_floor_cmd  # noqa: E402  (bench/ is sys.path[0])


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def docker_ok() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def sh(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()


class PycomposeSide:
    def __init__(self, tmp: Path) -> None:
        from engine.api import Engine
        from engine.types import EndpointSpec, NetworkSpec
        self.eng = Engine(tmp / "root", Path("/run/pycompose-bench") / uuid.uuid4().hex[:8])
        self.EndpointSpec, self.NetworkSpec = EndpointSpec, NetworkSpec
        self.net = "bench" + uuid.uuid4().hex[:6]
        self.eng.networks.create(NetworkSpec(name=self.net))
        self.net2 = self.net + "b"
        self.eng.networks.create(NetworkSpec(name=self.net2))
        from tests.fixtures.network import make_info
        self.runner = make_info("runner", networks={self.net: EndpointSpec()})
        self.eng.networks.setup_sandbox(self.runner)
        self.eng.layout.container_dir(self.runner.id).mkdir(parents=True, exist_ok=True)
        self.make_info = make_info

    def create_rm(self) -> float:
        name = "bn" + uuid.uuid4().hex[:8]
        t = time.perf_counter()
        self.eng.networks.create(self.NetworkSpec(name=name))
        self.eng.networks.remove(name)
        return time.perf_counter() - t

    def start_cli(self, cli: list, tmp: Path) -> None:
        """The CLI rows' container: busybox imported, one container running on self.net."""
        from tests.fixtures.busybox import make_layer_tar
        self.cli = cli
        self.env = dict(os.environ, PYCOMPOSE_ROOT=str(self.eng.layout.root),
                        PYCOMPOSE_RUNROOT=str(self.eng.layout.runroot))
        layer = make_layer_tar(tmp / "pc-busybox.tar")
        self._run("image", "import", str(layer), "bench-busybox:latest")
        self.container = "bench-" + uuid.uuid4().hex[:8]
        self._run("container", "run", "-d", "--name", self.container, "--network", self.net,
                  "bench-busybox:latest", "sleep", "3600")

    def _run(self, *argv: str) -> float:
        t = time.perf_counter()
        subprocess.run(self.cli + list(argv), check=True, capture_output=True, env=self.env)
        return time.perf_counter() - t

    def _cli(self, *argv: str) -> float:
        return self._run("network", *argv)

    def cli_create(self) -> float:
        name = "bc" + uuid.uuid4().hex[:8]
        took = self._cli("create", name)
        self.eng.networks.remove(name)
        return took

    def cli_rm(self) -> float:
        name = "br" + uuid.uuid4().hex[:8]
        self.eng.networks.create(self.NetworkSpec(name=name))
        return self._cli("rm", name)

    def cli_ls(self) -> float:
        return self._cli("ls")

    def cli_inspect(self) -> float:
        return self._cli("inspect", self.net)

    def cli_connect(self) -> float:
        took = self._cli("connect", self.net2, self.container)
        self._cli("disconnect", self.net2, self.container)
        return took

    def cli_disconnect(self) -> float:
        self._cli("connect", self.net2, self.container)
        return self._cli("disconnect", self.net2, self.container)

    def attach(self) -> float:
        info = self.make_info(networks={self.net: self.EndpointSpec(aliases=("svc",))})
        t = time.perf_counter()
        self.eng.networks.setup_sandbox(info)
        self.eng.networks.teardown_sandbox(info.id)
        return time.perf_counter() - t

    def hot_connect(self) -> float:
        t = time.perf_counter()
        self.eng.networks.connect(self.net2, self.runner.id)
        self.eng.networks.disconnect(self.net2, self.runner.id)
        return time.perf_counter() - t

    def close(self) -> None:
        if getattr(self, "container", None):
            subprocess.run(self.cli + ["container", "rm", "-f", self.container],
                           capture_output=True, env=self.env)
        self.eng.networks.teardown_sandbox(self.runner.id)
        for n in (self.net, self.net2):
            try:
                self.eng.networks.remove(n)
            except Exception as e:                       # noqa: BLE001 - report, go on
                print(f"cleanup: {e}")
        try:
            self.eng.networks.remove("bridge", predefined=True)
        except Exception:                                # noqa: BLE001 - never made
            pass
        shutil.rmtree(self.eng.layout.runroot, ignore_errors=True)


class DockerSide:
    IMAGE = "pycompose-bench-busybox:latest"

    def __init__(self, tmp: Path) -> None:
        from tests.fixtures.busybox import make_layer_tar
        if subprocess.run(["docker", "image", "inspect", self.IMAGE], capture_output=True).returncode:
            layer = make_layer_tar(tmp / "busybox.tar")
            sh("docker", "import", "--change", 'CMD ["sh"]', str(layer), self.IMAGE)
        self.net = "bench" + uuid.uuid4().hex[:6]
        self.net2 = self.net + "b"
        sh("docker", "network", "create", self.net)
        sh("docker", "network", "create", self.net2)
        self.runner = sh("docker", "run", "-d", "--network", self.net, self.IMAGE, "sleep", "3600")

    def create_rm(self) -> float:
        name = "bn" + uuid.uuid4().hex[:8]
        t = time.perf_counter()
        sh("docker", "network", "create", name)
        sh("docker", "network", "rm", name)
        return time.perf_counter() - t

    def cli_create(self) -> float:
        name = "bc" + uuid.uuid4().hex[:8]
        t = time.perf_counter()
        sh("docker", "network", "create", name)
        took = time.perf_counter() - t
        sh("docker", "network", "rm", name)
        return took

    def cli_rm(self) -> float:
        name = "br" + uuid.uuid4().hex[:8]
        sh("docker", "network", "create", name)
        t = time.perf_counter()
        sh("docker", "network", "rm", name)
        return time.perf_counter() - t

    def attach(self) -> float:
        t = time.perf_counter()
        sh("docker", "network", "connect", "--alias", "svc", self.net2, self.runner)
        sh("docker", "network", "disconnect", self.net2, self.runner)
        return time.perf_counter() - t

    hot_connect = attach

    def start_cli(self, cli: list, tmp: Path) -> None:
        pass

    def _timed(self, *argv: str) -> float:
        t = time.perf_counter()
        sh(*argv)
        return time.perf_counter() - t

    def cli_ls(self) -> float:
        return self._timed("docker", "network", "ls")

    def cli_inspect(self) -> float:
        return self._timed("docker", "network", "inspect", self.net)

    def cli_connect(self) -> float:
        took = self._timed("docker", "network", "connect", self.net2, self.runner)
        sh("docker", "network", "disconnect", self.net2, self.runner)
        return took

    def cli_disconnect(self) -> float:
        sh("docker", "network", "connect", self.net2, self.runner)
        return self._timed("docker", "network", "disconnect", self.net2, self.runner)

    def close(self) -> None:
        subprocess.run(["docker", "rm", "-f", self.runner], capture_output=True)
        subprocess.run(["docker", "network", "rm", self.net, self.net2], capture_output=True)


def report(scenarios, sides, times, floor) -> None:
    both = len(sides) == 2
    print(f"{'scenario':<14}" + "".join(f"{k:>14}" for k in sides) + ("       ratio" if both else "")
          + ("   python floor  pycompose-floor" if floor is not None else ""))
    for scenario in scenarios:
        meds = {k: statistics.median(times[(scenario, k)]) for k in sides}
        line = f"{scenario:<14}" + "".join(f"{meds[k] * 1000:>12.1f}ms" for k in sides)
        if both:
            line += f"{meds['pycompose'] / meds['docker']:>11.2f}x"
        if scenario.startswith("cli_") and floor is not None and "pycompose" in meds:
            line += f"{floor * 1000:>13.1f}ms{(meds['pycompose'] - floor) * 1000:>15.1f}ms"
        print(line)
    if floor is not None:
        print(f"python floor = `{' '.join(python_floor_cmd())}`, median of the CLI rounds")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--only", choices=["pycompose", "docker"], default=None)
    ap.add_argument("--no-refresh", action="store_true",
                    help="use the bench venv's pycompose as installed (no reinstall)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="netbench-"))
    sides = {}
    try:
        if args.only != "docker":
            sides["pycompose"] = PycomposeSide(tmp)
        if args.only != "pycompose":
            if docker_ok():
                sides["docker"] = DockerSide(tmp)
            else:
                print("docker not available")
        cli = pycompose_cli(refresh=not args.no_refresh) if "pycompose" in sides else []
        for side in sides.values():
            side.start_cli(cli, tmp)
        scenarios = ["create_rm", "attach", "hot_connect", "cli_create", "cli_rm", "cli_ls",
                     "cli_inspect", "cli_connect", "cli_disconnect"]
        times = {(s, k): [] for s in scenarios for k in sides}
        floor = []
        for scenario in scenarios:
            for side in sides.values():                    # warm-up (netd start, image cache)
                getattr(side, scenario)()
            for _ in range(args.rounds):
                for key, side in sides.items():
                    times[(scenario, key)].append(getattr(side, scenario)())
                if scenario.startswith("cli_"):
                    floor.append(timed(lambda: subprocess.run(python_floor_cmd())))
        report(scenarios, sides, times, statistics.median(floor) if floor else None)
    finally:
        for side in sides.values():
            side.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
