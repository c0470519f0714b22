"""Restart policies across reboots, without a daemon.

Docker's daemon starts `restart: always` containers when it starts (and `unless-stopped`
ones the user had not stopped). Here the first engine use after a boot does it: the kernel's
boot id (/proc/sys/kernel/random/boot_id) is kept in `<runroot>/boot_id` (tmpfs: gone after a
reboot anyway) and in each container's state.json when its PID 1 starts. A runroot without
the current boot id means "first use in this boot": every container whose restart policy asks
for it, that was started before and has not been started in this boot, is started again.
`pycompose system boot` runs the same at boot time (docs/runtime.md has a systemd unit).

    first_use_after_boot(layout) -> bool           one small file read
    restart_after_boot(svc, quiet=False) -> [ids]  under <root>/locks/boot.lock
"""
from __future__ import annotations

import os

from engine.locks import flock

from .shimstate import boot_id


def _marker(layout) -> str:
    return os.path.join(str(layout.runroot), "boot_id")


_RUNNING = []          # roots whose restarts this process is doing (no re-entry)


def first_use_after_boot(layout) -> bool:
    if str(layout.root) in _RUNNING:
        return False
    try:
        with open(_marker(layout)) as f:
            return f.read().strip() != boot_id()
    except OSError:
        return True


def wants_boot_start(cfg: dict, st: dict, current: str) -> bool:
    """Docker's rule on daemon start: ``always`` -> yes; ``unless-stopped`` -> unless the user
    stopped it (stop/kill/rm); never for a container not started before or already started
    in this boot."""
    if not st.get("started_at") or st.get("boot_id") == current:
        return False
    policy = (cfg.get("restart") or {}).get("name", "no")
    return policy == "always" or (policy == "unless-stopped" and not st.get("manually_stopped"))


def restart_after_boot(svc, quiet: bool = False) -> list[str]:
    """Start the containers ``wants_boot_start`` picks (once per boot; errors are recorded
    in the container's state and, unless ``quiet``, raised after the others started)."""
    layout = svc.layout
    current = boot_id()
    started, errors = [], []
    os.makedirs(str(layout.runroot), exist_ok=True)
    with flock(layout.lock_file("boot"), what="boot restarts"):
        if not first_use_after_boot(layout) and quiet:
            return []
        _RUNNING.append(str(layout.root))
        try:
            _start_all(svc, current, started, errors)
        finally:
            _RUNNING.remove(str(layout.root))
        with open(_marker(layout), "w") as f:
            f.write(current + "\n")
    if errors and not quiet:
        from engine.errors import RuntimeFailure
        raise RuntimeFailure("some containers could not be restarted: " + "; ".join(errors))
    return started


def _start_all(svc, current: str, started: list, errors: list) -> None:
    from engine.errors import EngineError
    for cid in svc.store.ids():
        try:
            cfg = svc.store.load_config(cid)
            if not wants_boot_start(cfg, svc.store.state_file(cid).read(), current):
                continue
            svc.start(cid)
            started.append(cid)
        except EngineError as e:
            svc.store.state_file(cid).update(error=f"restart after boot: {e}")
            errors.append(f"{cid[:12]}: {e}")
