"""`up --wait`: block until every started container is running (healthy when it has a
healthcheck). A one-shot container that exited is accepted only when another service depends
on it with ``service_completed_successfully`` and it exited 0 (docker/compose#10596)."""
from __future__ import annotations

import time
from typing import Optional

from compose.errors import OperationFailed
from engine.events import Event

from .. import labels as L


def completed_ok_services(project) -> set[str]:
    out = set()
    for svc in project.services.values():
        for dep, d in svc.dependencies().items():
            if d.condition == "service_completed_successfully":
                out.add(dep)
    return out


def wait_running(engine, project, services, *, timeout: Optional[float] = None,
                 on_event=None, poll: float = 0.5) -> None:
    emit = on_event or (lambda ev: None)
    one_shot_ok = completed_ok_services(project)
    deadline = None if timeout is None or timeout <= 0 else time.monotonic() + timeout
    found = engine.containers.list(all=True, filters=L.project_filter(project.name, f"{L.ONEOFF}=False"))
    pending = {c.id: c.name for c in found if c.labels.get(L.SERVICE) in set(services)}
    for name in pending.values():
        emit(Event("container", name, "Waiting"))
    while pending:
        for cid, name in list(pending.items()):
            info = engine.containers.inspect(cid)
            st = info.state
            service = info.labels.get(L.SERVICE, "")
            if st.status in ("exited", "dead"):
                if service in one_shot_ok and st.exit_code == 0:
                    del pending[cid]
                    emit(Event("container", name, "Exited"))
                    continue
                raise OperationFailed(f"container {name} exited ({st.exit_code})")
            if st.running:
                health = st.health.status if st.health else ""
                if health == "unhealthy":
                    raise OperationFailed(f"container {name} is unhealthy")
                if health in ("", "healthy"):
                    del pending[cid]
                    emit(Event("container", name, "Healthy" if health else "Running"))
        if not pending:
            return
        if deadline is not None and time.monotonic() > deadline:
            raise OperationFailed("timeout waiting for " + ", ".join(sorted(pending.values())) +
                                  " to be running/healthy")
        time.sleep(poll)
