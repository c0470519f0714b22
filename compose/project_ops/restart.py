"""`restart` as Docker Compose does it (pkg/compose/restart.go):

* the project's service containers (running or stopped, one-off excluded) are restarted in
  dependency order: a service goes as soon as the services it depends on *with
  ``restart: true``* are done (and their depends_on condition holds again); the containers of
  one service restart in parallel;
* naming services restarts them and, unless ``--no-deps``, every service that depends on them
  with ``restart: true`` (transitively); ``depends_on`` entries without ``restart: true`` do
  not order anything;
* events: "Restarting", then "Started".

Works without a compose file too: the dependencies then come from the
``com.docker.compose.depends_on`` labels (``service:condition:restart``).
"""
from __future__ import annotations

import threading
from typing import Callable, Optional

from compose.errors import OperationFailed
from engine.errors import EngineError
from engine.events import Event

from .. import labels as L


def restart_graph(project, containers) -> dict[str, dict[str, str]]:
    """service -> {dependency: condition} for the depends_on entries with restart: true."""
    graph: dict[str, dict[str, str]] = {}
    if project is not None:
        for svc in project.services.values():
            graph[svc.name] = {d: dep.condition for d, dep in svc.depends_on.items()
                               if dep.restart and d in project.services}
    for c in containers:
        svc = c.labels.get(L.SERVICE, "")
        if svc in graph:
            continue
        deps = {}
        for part in c.labels.get(L.DEPENDS_ON, "").split(","):
            bits = part.split(":")
            if len(bits) >= 3 and bits[2].lower() == "true":
                deps[bits[0]] = bits[1]
        graph[svc] = deps
    return graph


def restart_scope(graph: dict, services, no_deps: bool) -> set[str]:
    """The services to restart: all, or the named ones plus (unless no_deps) their
    restart-true dependents, transitively."""
    if not services:
        return set(graph)
    scope = set(services)
    if no_deps:
        return scope
    changed = True
    while changed:
        changed = False
        for svc, deps in graph.items():
            if svc not in scope and scope & set(deps):
                scope.add(svc)
                changed = True
    return scope


def restart(engine, project, name: str, services=(), *, no_deps: bool = False,
            timeout: Optional[float] = None, on_event: Optional[Callable] = None,
            dry_run: bool = False) -> list[str]:
    """Restart the project's containers; returns the names of the restarted containers."""
    emit = on_event or (lambda ev: None)
    found = [c for c in engine.containers.list(all=True, filters=L.project_filter(name))
             if not L.is_oneoff(c.labels)]
    graph = restart_graph(project, found)
    scope = restart_scope(graph, services, no_deps)
    by_service: dict[str, list] = {}
    for c in sorted(found, key=lambda c: c.name):
        svc = c.labels.get(L.SERVICE, "")
        if svc in scope:
            by_service.setdefault(svc, []).append(c)
    order = _dependency_order(graph, scope)
    done = {svc: threading.Event() for svc in order}
    errors: list[BaseException] = []
    restarted: list[str] = []
    lock = threading.Lock()

    def restart_container(c) -> None:
        emit(Event("container", c.name, "Restarting"))
        if not dry_run:
            engine.containers.restart(c.id, timeout=timeout)
        emit(Event("container", c.name, "Started"))
        with lock:
            restarted.append(c.name)

    def run_service(svc: str) -> None:
        try:
            for dep, condition in graph.get(svc, {}).items():
                if dep in done:
                    done[dep].wait()
                if errors:
                    return
                if dep in by_service and not dry_run:
                    from ..executor import wait_condition
                    wait_condition(engine, name, dep, condition, emit=emit)
            _in_parallel(restart_container, by_service.get(svc, []))
        except (EngineError, OperationFailed) as e:
            errors.append(e)
        finally:
            done[svc].set()

    threads = [threading.Thread(target=run_service, args=(svc,), daemon=True,
                                name=f"compose-restart-{svc}") for svc in order]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        e = errors[0]
        raise e if isinstance(e, OperationFailed) else OperationFailed(str(e))
    return restarted


def _in_parallel(fn, items) -> None:
    """fn(item) for every item at once; the first error is raised after all finished."""
    failures: list[BaseException] = []

    def call(item) -> None:
        try:
            fn(item)
        except BaseException as e:  # noqa: BLE001 - re-raised below
            failures.append(e)

    threads = [threading.Thread(target=call, args=(item,), daemon=True) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]


def _dependency_order(graph: dict, scope: set) -> list[str]:
    """Services of ``scope``, dependencies first (cycles cannot reach here: the loader
    rejects them; a label-made cycle is broken at the first repeat)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(svc: str, trail: tuple) -> None:
        if svc in seen or svc in trail:
            return
        for dep in sorted(graph.get(svc, {})):
            if dep in scope:
                visit(dep, trail + (svc,))
        seen.add(svc)
        order.append(svc)

    for svc in sorted(scope):
        visit(svc, ())
    return order
