"""`down`, `stop`, `rm`: plans built by compose.reconcile, run by the executor.

Works without a compose file: ``project=None`` + ``name`` reconstructs the project from the
engine's labels (§5.3).
"""
from __future__ import annotations

from typing import Callable, Optional

from compose.errors import OperationFailed
from engine.errors import Conflict, EngineError, NotFound
from engine.events import Event

from .. import labels as L
from ..convert import image_ref
from ..executor import Executor
from ..observe import observe
from ..plan import Plan
from ..reconcile import DownOptions, plan_down, plan_stop
from .common import project_lock


def down(engine, project, opts: DownOptions, *, name: Optional[str] = None, rmi: str = "",
         on_event: Optional[Callable] = None, parallel: int = -1, dry_run: bool = False) -> Plan:
    name = project.name if project is not None else name
    emit = on_event or (lambda ev: None)
    with project_lock(engine, name):
        observed = observe(engine, project, name=name, images=False)
        plan = plan_down(project, observed, opts)
        if dry_run:
            return plan
        Executor(engine, project, on_event=emit, parallel=parallel,
                 remove_volumes=opts.volumes).run(plan)
        if rmi:
            remove_images(engine, project, observed, rmi, emit)
        layout = getattr(engine, "layout", None)
        if layout is not None and not opts.services:   # secret/config files written by up
            import shutil
            shutil.rmtree(layout.compose_files(name), ignore_errors=True)
    return plan


def remove_images(engine, project, observed, rmi: str, emit) -> None:
    refs = []
    if project is not None:
        for svc in project.services.values():
            if rmi == "all" or not svc.image:
                refs.append(image_ref(project, svc))
    else:
        for c in observed.containers:
            if rmi == "all" or c.image.startswith(f"{observed.project}-"):
                refs.append(c.image)
    for ref in dict.fromkeys(refs):
        try:
            engine.images.remove(ref)
            emit(Event("image", ref, "Removed"))
        except NotFound:
            pass
        except Conflict as e:
            emit(Event("warning", ref, str(e)))


def stop(engine, project, services=(), timeout=None, *, name=None, on_event=None,
         parallel: int = -1, dry_run: bool = False) -> Plan:
    name = project.name if project is not None else name
    observed = observe(engine, project, name=name, images=False)
    plan = plan_stop(project, observed, services, timeout)
    if not dry_run:
        Executor(engine, project, on_event=on_event, parallel=parallel).run(plan)
    return plan


def remove_stopped(engine, project, services=(), *, volumes: bool = False, name=None,
                   on_event=None, dry_run: bool = False) -> list[str]:
    """`rm`: remove stopped service containers (and one-off containers)."""
    name = project.name if project is not None else name
    emit = on_event or (lambda ev: None)
    removed = []
    observed = observe(engine, project, name=name, images=False)
    for c in observed.containers:
        if services and c.labels.get(L.SERVICE) not in services:
            continue
        if c.state.running or c.state.status == "paused":
            continue
        if not dry_run:
            try:
                engine.containers.remove(c.id, volumes=volumes)
            except NotFound:
                continue
            except EngineError as e:
                raise OperationFailed(str(e)) from e
        emit(Event("container", c.name, "Removed"))
        removed.append(c.name)
    return removed
