"""Release what a running container holds once it has stopped for good.

Called by the shim after the final exit, and by the CLI when it finds a container whose
shim died (kill -9, reboot): remove the cgroup, tear down the network sandbox, drop the run
dir. Every step is idempotent and failures of one step do not stop the others.
"""
from __future__ import annotations

import os
import shutil


def cgroup_from_plan(plan: dict):
    info = (plan.get("runtime") or {}).get("cgroup") or plan.get("cgroup")
    if not info:
        return None
    if info["version"] == 2:
        from engine.cgroups.v2 import V2Cgroup
        return V2Cgroup(info["root"], info["rel"])
    from engine.cgroups.v1 import V1Cgroup
    return V1Cgroup(info["mounts"], info["rel"])


def release_runtime(root: str, runroot: str, cid: str, plan: dict | None,
                    auto_remove: bool = False) -> list[str]:
    """Returns the problems met (for logs/tests); never raises."""
    problems: list[str] = []
    cg = cgroup_from_plan(plan or {})
    if cg is not None:
        try:
            cg.remove()
        except Exception as e:  # noqa: BLE001
            problems.append(str(e))
    try:
        # light path (no Engine, no engine.types): the shim runs this after every final exit
        from engine.network.release import teardown_after_exit
        teardown_after_exit(root, runroot, cid)
    except Exception as e:  # noqa: BLE001
        problems.append(f"network: {e}")
    shutil.rmtree(os.path.join(runroot, "containers", cid), ignore_errors=True)
    try:
        os.rmdir(os.path.join(runroot, "mounts", cid))
    except OSError:
        pass
    if auto_remove:
        try:
            _finish_removal(root, runroot, cid)
        except Exception as e:  # noqa: BLE001
            problems.append(f"auto remove: {e}")
    return problems


def _finish_removal(root: str, runroot: str, cid: str) -> None:
    """The shim runs with ``python -S``: the engine's services need no site-packages to
    remove a container (importing site costs 0.1-0.2 s here), so site is loaded only if an
    import fails."""
    try:
        from engine.api import Engine
        Engine(root, runroot).containers.finish_removal(cid)
    except ImportError:
        import site
        site.main()
        from engine.api import Engine
        Engine(root, runroot).containers.finish_removal(cid)
