"""The service dependency graph (networkx DiGraph): start order, stop order, closure, cycles.

Edges point from a service to what it depends on (``web -> db``), with the edge attribute
``dep`` = compose.model.DependsOn (explicit depends_on, or implicit: links, network_mode/ipc/
pid/uts/cgroup ``service:X`` with restart=True, volumes_from with restart=False).

Public API:

    g = ServiceGraph.from_project(project)          # or ServiceGraph(services: {name: Service})
    g.start_levels()  -> list[list[str]]            # each level can start in parallel
    g.start_order()   -> list[str]                  # dependencies first
    g.stop_levels() / g.stop_order()                # dependents first (reverse)
    g.dependencies(name) / g.dependents(name)       # direct, names
    g.closure(names)  -> list[str]                  # names + all transitive deps, start order
    g.dependents_closure(names) -> list[str]        # names + everything depending on them
    g.edge(a, b)      -> DependsOn                  # a depends on b
    check_cycles(services) raises DependencyCycle("dependency cycle detected: a -> b -> a")

Edges to services that are not in the graph (disabled by profiles, required: false) are
ignored here; the loader reports the invalid ones.
Levels and orders are deterministic (ties sorted by name).
"""
from __future__ import annotations

from typing import Iterable, Mapping

from .errors import DependencyCycle


def _networkx():
    import networkx
    return networkx


def _edges_of(services: Mapping) -> list:
    edges = []
    for name, svc in services.items():
        deps = svc.dependencies() if hasattr(svc, "dependencies") else dict(svc)
        for dep, info in deps.items():
            if dep in services:
                edges.append((name, dep, info))
    return edges


def find_cycle(services: Mapping) -> list | None:
    """A cycle as a trail ["a", "b", "a"] or None. Accepts {name: Service} or {name: {deps}}.

    Plain depth-first search (no networkx import, so the loader stays fast); deterministic:
    services and their dependencies are visited in name order.
    """
    deps: dict = {}
    for a, b, _ in _edges_of(services):
        deps.setdefault(a, []).append(b)
    state: dict = {}                      # name -> 1 visiting, 2 done
    for start in sorted(services):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(deps.get(start, ()))))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            if state.get(child) == 1:
                return path[path.index(child):] + [child]
            if not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(deps.get(child, ())))))
    return None


def check_cycles(services: Mapping) -> None:
    trail = find_cycle(services)
    if trail:
        raise DependencyCycle(trail)


class ServiceGraph:
    def __init__(self, services: Mapping) -> None:
        nx = _networkx()
        self.services = dict(services)
        self.g = nx.DiGraph()
        self.g.add_nodes_from(sorted(self.services))
        for a, b, info in _edges_of(self.services):
            self.g.add_edge(a, b, dep=info)
        check_cycles(self.services)

    @classmethod
    def from_project(cls, project) -> "ServiceGraph":
        return cls(project.services)

    def edge(self, service: str, dependency: str):
        return self.g.edges[service, dependency]["dep"]

    def dependencies(self, name: str) -> list:
        return sorted(self.g.successors(name))

    def dependents(self, name: str) -> list:
        return sorted(self.g.predecessors(name))

    def start_levels(self, subset: Iterable[str] | None = None) -> list:
        """Levels of services; all deps of a level are in earlier levels."""
        nodes = set(self.g.nodes) if subset is None else set(subset)
        remaining = {n: {d for d in self.g.successors(n) if d in nodes} for n in nodes}
        levels = []
        while remaining:
            ready = sorted(n for n, deps in remaining.items() if not deps)
            if not ready:               # cannot happen: cycles are rejected in __init__
                raise DependencyCycle(sorted(remaining))
            levels.append(ready)
            for n in ready:
                del remaining[n]
            for deps in remaining.values():
                deps.difference_update(ready)
        return levels

    def start_order(self, subset: Iterable[str] | None = None) -> list:
        return [n for level in self.start_levels(subset) for n in level]

    def stop_levels(self, subset: Iterable[str] | None = None) -> list:
        return list(reversed(self.start_levels(subset)))

    def stop_order(self, subset: Iterable[str] | None = None) -> list:
        return [n for level in self.stop_levels(subset) for n in level]

    def closure(self, names: Iterable[str]) -> list:
        """The named services and all their transitive dependencies, in start order."""
        nx = _networkx()
        wanted: set = set()
        for n in names:
            wanted.add(n)
            wanted |= nx.descendants(self.g, n)
        return self.start_order(wanted)

    def dependents_closure(self, names: Iterable[str]) -> list:
        """The named services and everything that (transitively) depends on them, start order."""
        nx = _networkx()
        wanted: set = set()
        for n in names:
            wanted.add(n)
            wanted |= nx.ancestors(self.g, n)
        return self.start_order(wanted)
