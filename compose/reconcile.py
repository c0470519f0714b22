"""The planner: a PURE function from (project, observed state, options) to a Plan.

    plan = plan_up(project, observed, UpOptions(...))
    plan = plan_down(project_or_None, observed, DownOptions(...))
    plan = plan_stop(project_or_None, observed, services, timeout)

No engine calls, no clock, no randomness: the same inputs always give the same plan, which
is why the plan's text rendering (Plan.render) is golden-tested. Recreate decisions follow
Docker Compose's convergence rules (BEHAVIOUR.md §5.4): only when forced, when the config hash
or the image id diverged, when a namespace parent was recreated, or when a running
container misses one of its networks.
"""
from __future__ import annotations

from engine.records import field, record

from compose.errors import ComposeError

from . import labels as L
from .naming import image_ref, network_engine_name, network_names
from .naming import project_container_name as container_name
from .hashing_compat import network_hash, service_hash, volume_hash
from .plan import CREATE, KEEP, RECREATE, REMOVE, START, STOP, WAIT, Operation, Plan

ORPHAN_WARNING = ("Found orphan containers ({names}) for this project. If you removed or renamed "
                  "this service in your compose file, you can run this command with the "
                  "--remove-orphans flag to clean it up.")


@record
class UpOptions:
    services: tuple = ()                 # targeted services (empty = all)
    no_deps: bool = False
    recreate: str = "diverged"           # diverged | force | never (for targeted services)
    recreate_deps: str = "diverged"      # the same for dependencies pulled in (--always-recreate-deps)
    renew_anon_volumes: bool = False
    remove_orphans: bool = False
    ignore_orphans: bool = False
    scale: dict = field(default_factory=dict)
    no_start: bool = False
    timeout: float | None = None
    recreate_volumes: tuple = ()         # diverged volumes the user agreed to recreate (-y/prompt)


@record
class DownOptions:
    services: tuple = ()
    remove_orphans: bool = False
    volumes: bool = False
    timeout: float | None = None
    remove: bool = True                  # False = only stop (the `stop` command)


# --------------------------------------------------------------------------- graph helpers


def dependency_closure(project, names) -> list[str]:
    seen: list[str] = []
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in seen or name not in project.services:
            continue
        seen.append(name)
        stack.extend(project.services[name].dependencies())
    return seen


def start_order(project, names=None) -> list[str]:
    """Dependencies first; ties broken by the file's service order."""
    names = list(project.services) if names is None else [n for n in project.services if n in set(names)]
    order, visiting, done = [], [], set()

    def visit(n: str) -> None:
        if n in done:
            return
        if n in visiting:
            from compose.errors import DependencyCycle
            raise DependencyCycle(visiting[visiting.index(n):] + [n])
        visiting.append(n)
        for dep in project.services[n].dependencies():
            if dep in project.services and dep in names:
                visit(dep)
        visiting.pop()
        done.add(n)
        order.append(n)

    for n in names:
        visit(n)
    return order


def selected_services(project, services) -> tuple[list[str], set[str]]:
    """(services in scope in start order, the explicitly targeted ones)."""
    for s in services:
        if s not in project.services:
            raise ComposeError(f"no such service: {s}")
    targets = set(services) if services else set(project.services)
    return start_order(project, dependency_closure(project, targets)), targets


# --------------------------------------------------------------------------- up


def plan_up(project, observed, opts: UpOptions) -> Plan:
    plan = Plan()
    scope, targets = selected_services(project, opts.services)
    if opts.no_deps:
        scope = [s for s in scope if s in targets]
    for name in scope:
        for key in project.services[name].labels:
            if key.startswith(L.PREFIX + "."):
                raise ComposeError(f'service "{name}": label "{key}" is reserved: labels with the '
                                   f'"{L.PREFIX}" prefix are set by Compose itself')
    state = _UpState()
    infra = _plan_networks(plan, project, scope, observed, state)
    infra += _plan_volumes(plan, project, scope, observed, opts.recreate_volumes, state)
    for name in scope:
        policy = opts.recreate if name in targets else opts.recreate_deps
        _plan_service(plan, project, observed, project.services[name], opts, policy, infra, state, scope)
    _plan_orphans(plan, project, observed, opts)
    return plan


def plan_infra(project, observed, services) -> Plan:
    """Only the networks and volumes ``services`` need (for `run`, whose own container is
    created outside the plan)."""
    plan = Plan()
    _plan_networks(plan, project, list(services), observed)
    _plan_volumes(plan, project, list(services), observed)
    return plan


@record
class _UpState:
    creates: dict = field(default_factory=dict)     # service -> [op keys creating containers]
    starts: dict = field(default_factory=dict)      # service -> [op keys making it run]
    phase: dict = field(default_factory=dict)       # service -> [op keys its dependents' waits follow]
    recreated: dict = field(default_factory=dict)   # service -> [recreate op keys]
    infra_of: dict = field(default_factory=dict)    # service -> [network/volume recreate op keys]
    dropped: set = field(default_factory=set)       # container ids removed for a volume recreate


def expected_network_hash(project, key: str) -> str:
    return network_hash(project, key)


def _network_users(project, key: str) -> list[str]:
    """Services of the project attached to network ``key`` (Docker Compose stops them to
    recreate a diverged network)."""
    return [s.name for s in project.services.values() if key in network_names(project, s)]


def _plan_networks(plan, project, scope, observed, state=None) -> list[str]:
    keys = []
    used = []
    for s in scope:
        for key in network_names(project, project.services[s]):
            if key not in used:
                used.append(key)
    for key in used:
        net = project.networks.get(key)
        name = network_engine_name(project, key)
        if net is not None and net.external:
            if name not in observed.networks:
                raise ComposeError(f"network {name} declared as external, but could not be found")
            continue
        expected = expected_network_hash(project, key)
        if name not in observed.networks:
            keys.append(plan.add(Operation(f"net:{name}", "network", name, CREATE, "not found",
                                           data={"key": key, "hash": expected})).key)
            continue
        actual = (observed.networks[name].labels or {}).get(L.CONFIG_HASH)
        if actual and actual != expected and state is not None:
            users = _network_users(project, key)
            attached = [(c.id, c.name, bool(c.state.running or c.state.status == "paused"))
                        for c in observed.containers
                        if c.labels.get(L.SERVICE) in users and not L.is_oneoff(c.labels)]
            op = plan.add(Operation(f"net:{name}", "network", name, RECREATE, "config hash diverged",
                                    data={"key": key, "hash": expected, "containers": attached}))
            keys.append(op.key)
            for svc in users:
                state.infra_of.setdefault(svc, []).append(op.key)
    return keys


def diverged_volumes(project, observed, services) -> list[str]:
    """Engine names of the project volumes ``services`` use whose config-hash label differs
    from the file's (Docker Compose asks before recreating them: data is lost)."""
    out = []
    for key in _used_volumes(project, services):
        vol = project.volumes.get(key)
        if vol is None or vol.external or vol.name not in observed.volumes:
            continue
        actual = (observed.volumes[vol.name].labels or {}).get(L.CONFIG_HASH)
        if actual and actual != volume_hash(vol):
            out.append(vol.name)
    return out


def _used_volumes(project, services) -> list[str]:
    used = []
    for s in services:
        for v in project.services[s].volumes:
            if v.type == "volume" and v.source and v.source not in used:
                used.append(v.source)
    return used


def _plan_volumes(plan, project, scope, observed, recreate=(), state=None) -> list[str]:
    keys = []
    for key in _used_volumes(project, scope):
        vol = project.volumes.get(key)
        if vol is None:
            raise ComposeError(f'service volume refers to undefined volume {key}: invalid compose project')
        if vol.external:
            if vol.name not in observed.volumes:
                raise ComposeError(f"external volume \"{vol.name}\" not found")
            continue
        if vol.name not in observed.volumes:
            keys.append(plan.add(Operation(f"vol:{vol.name}", "volume", vol.name, CREATE, "not found",
                                           data={"key": key, "hash": volume_hash(vol)})).key)
        elif vol.name in recreate and state is not None:
            keys.append(_plan_volume_recreate(plan, project, observed, key, vol, state))
    return keys


def _plan_volume_recreate(plan, project, observed, key, vol, state) -> str:
    """Stop and remove the containers of every service mounting the volume, remove the
    volume, create it again; the containers are then created anew (Docker Compose)."""
    users = [s.name for s in project.services.values()
             if any(v.type == "volume" and v.source == key for v in s.volumes)]
    removes = []
    for c in observed.containers:
        if c.labels.get(L.SERVICE) in users and not L.is_oneoff(c.labels) and c.id not in state.dropped:
            removes.append(_stop_remove(plan, c, f"volume {vol.name} diverged", None)[1])
            state.dropped.add(c.id)
    rm = plan.add(Operation(f"vol-rm:{vol.name}", "volume", vol.name, REMOVE, "config hash diverged",
                            after=tuple(removes), data={"quiet": True}))
    return plan.add(Operation(f"vol:{vol.name}", "volume", vol.name, CREATE, "config hash diverged",
                              after=(rm.key,), data={"key": key, "hash": volume_hash(vol)})).key


def recreate_cause(project, observed, service, container, policy, state) -> str:
    """Why ``container`` must be recreated ("" = it must not)."""
    if policy == "never":
        return ""
    if policy == "force":
        return "forced"
    if container.labels.get(L.CONFIG_HASH) != service_hash(project, service):
        return "config hash diverged"
    image_id = observed.image_ids.get(service.name, "")
    if image_id and container.labels.get(L.IMAGE, container.image_id) != image_id:
        return "image changed"
    for dep, d in service.dependencies().items():
        if d.implicit and d.restart and state.recreated.get(dep):
            return f"dependency {dep} recreated"
    if container.name != container_name(project, service, L.container_number(container.labels)):
        return "container name mismatch"        # e.g. left with its temporary name by a crash
    if container.state.running:
        expected = {network_engine_name(project, k) for k in network_names(project, service)}
        missing = sorted(expected - set(container.networks or {}))
        if missing:
            return f"not connected to network {missing[0]}"
    return ""


def _plan_service(plan, project, observed, service, opts, policy, infra, state, scope) -> None:
    name = service.name
    want = opts.scale.get(name, service.scale)
    existing = [c for c in observed.service_containers(name) if c.id not in state.dropped]
    net_recreates = tuple(state.infra_of.get(name, ()))
    causes = {c.id: recreate_cause(project, observed, service, c, policy, state) for c in existing}
    dep_create = [k for d in service.dependencies() if d in scope for k in state.creates.get(d, [])]
    waits = _plan_waits(plan, project, service, opts, state, scope)
    creates, starts = [], []
    # scale down: obsolete containers first, then the highest numbers
    ranked = sorted(existing, key=lambda c: (not causes[c.id], -L.container_number(c.labels), c.name))
    surplus = ranked[:max(0, len(existing) - want)]
    removals = [_stop_remove(plan, c, "scale down", opts.timeout)[1] for c in surplus]
    kept = [c for c in existing if c not in surplus]
    restart_parents = [d for d, dep in service.dependencies().items()
                       if dep.restart and state.recreated.get(d)]
    for c in kept:
        cause = causes[c.id]
        if cause:
            target = container_name(project, service, L.container_number(c.labels))
            key = plan.add(Operation(f"recreate:{target}", "container", target, RECREATE, cause,
                                     service=name, after=tuple(infra + dep_create + removals),
                                     container_id=c.id,
                                     number=L.container_number(c.labels),
                                     data={"renew_anon_volumes": opts.renew_anon_volumes})).key
            creates.append(key)
            state.recreated.setdefault(name, []).append(key)
            if not opts.no_start:
                starts.append(plan.add(Operation(f"start:{target}", "container", target, START,
                                                 "recreated", service=name,
                                                 after=(key, *waits))).key)
        elif restart_parents and c.state.running and not opts.no_start:
            parent = restart_parents[0]
            stop = plan.add(Operation(f"stop:{c.name}", "container", c.name, STOP,
                                      f"dependency {parent} recreated", service=name,
                                      container_id=c.id, timeout=opts.timeout))
            for p in restart_parents:
                for rk in state.recreated[p]:
                    plan.get(rk).after += (stop.key,)
            starts.append(plan.add(Operation(f"start:{c.name}", "container", c.name, START,
                                             f"dependency {parent} restarted", service=name,
                                             container_id=c.id, after=(stop.key, *waits))).key)
        elif not c.state.running and not opts.no_start:
            starts.append(plan.add(Operation(f"start:{c.name}", "container", c.name, START,
                                             f"container {c.state.status}", service=name,
                                             container_id=c.id, after=tuple(waits) + net_recreates)).key)
        elif net_recreates and not opts.no_start:     # stopped by the network's recreation
            starts.append(plan.add(Operation(f"start:{c.name}", "container", c.name, START,
                                             "network recreated", service=name,
                                             container_id=c.id, after=net_recreates + tuple(waits))).key)
        else:
            plan.add(Operation(f"keep:{c.name}", "container", c.name, KEEP,
                               "up to date" if c.state.running else f"container {c.state.status}",
                               service=name, container_id=c.id))
    for key in _plan_new_containers(plan, project, service, opts, want, kept, existing,
                                    after=tuple(infra + dep_create), waits=waits):
        (starts if key.startswith("start:") else creates).append(key)
    if not starts and waits:                # nothing to start: Docker Compose still waits for
        waits = _drop_waits(plan, waits, everything=want == 0)   # healthy/completed deps
    state.creates[name] = creates
    state.starts[name] = starts
    state.phase[name] = starts or waits


def _plan_new_containers(plan, project, service, opts, want, kept, existing, *, after, waits):
    """Create (and start) containers up to the wanted scale; numbers continue after max."""
    keys = []
    next_number = max([L.container_number(c.labels) for c in kept] + [0]) + 1
    for i in range(max(0, want - len(kept))):
        number = next_number + i
        cname = container_name(project, service, number)
        key = plan.add(Operation(f"create:{cname}", "container", cname, CREATE,
                                 "not found" if not existing else "scale up", service=service.name,
                                 number=number, after=after)).key
        keys.append(key)
        if not opts.no_start:
            keys.append(plan.add(Operation(f"start:{cname}", "container", cname, START, "created",
                                           service=service.name, after=(key, *waits))).key)
    return keys


def _drop_waits(plan, waits, *, everything: bool) -> list[str]:
    """Drop the waits of a service with nothing to start: all of them (scale 0) or only the
    ``service_started`` ones, which just order starts; the others keep their Waiting/Healthy
    lines, as in Docker Compose's start phase. Returns the keys kept."""
    kept = []
    for key in waits:
        op = plan.get(key)
        if everything or op.condition == "service_started":
            plan.operations.remove(op)
        else:
            kept.append(key)
    return kept


def _plan_waits(plan, project, service, opts, state, scope) -> list[str]:
    """One WAIT operation per dependency whose condition must hold before ``service`` starts,
    after the start phase of all its dependencies (Docker Compose waits per dependent, in
    dependency order: a dependency shared by two services is waited for twice)."""
    if opts.no_start:
        return []
    deps = [(dep, d) for dep, d in service.dependencies().items()
            if dep in scope and dep in state.starts]
    after = tuple(k for dep, _ in deps for k in state.phase.get(dep, ()))
    keys = []
    for dep, d in deps:
        want = opts.scale.get(dep, project.services[dep].scale)
        if want == 0:
            continue
        key = f"wait:{dep}:{d.condition}:{service.name}"
        plan.add(Operation(key, "service", dep, WAIT, f"{d.condition} for {service.name}",
                           service=dep, after=after, condition=d.condition,
                           required=d.required, data={"dependents": [service.name]}))
        keys.append(key)
    return keys


def _stop_remove(plan, c, cause, timeout, after=()) -> tuple[str, str]:
    stop_key = ""
    if c.state.running or c.state.status in ("paused", "restarting"):
        stop_key = plan.add(Operation(f"stop:{c.name}", "container", c.name, STOP, cause,
                                      service=c.labels.get(L.SERVICE, ""), container_id=c.id,
                                      timeout=timeout, after=tuple(after))).key
    rm = plan.add(Operation(f"remove:{c.name}", "container", c.name, REMOVE, cause,
                            service=c.labels.get(L.SERVICE, ""), container_id=c.id,
                            after=(stop_key,) if stop_key else tuple(after)))
    return stop_key, rm.key


def orphans(project, observed) -> list:
    known = set(project.services) | set(getattr(project, "disabled_services", {}) or {})
    return [c for c in observed.containers
            if not L.is_oneoff(c.labels) and c.labels.get(L.SERVICE) not in known]


def _plan_orphans(plan, project, observed, opts) -> None:
    found = orphans(project, observed)
    if not found:
        return
    if opts.remove_orphans:
        for c in found:
            _stop_remove(plan, c, "orphan", opts.timeout)
    elif not opts.ignore_orphans:
        plan.warnings.append(ORPHAN_WARNING.format(names=", ".join(sorted(c.name for c in found))))


# --------------------------------------------------------------------------- down / stop


def _label_deps(c) -> list[str]:
    text = c.labels.get(L.DEPENDS_ON, "")
    return [part.split(":", 1)[0] for part in text.split(",") if part]


def _dependents_map(project, containers) -> dict[str, set[str]]:
    """service -> services that depend on it (from the model, else from the labels)."""
    deps: dict[str, set[str]] = {}
    if project is not None:
        for s in project.services.values():
            for d in s.dependencies():
                deps.setdefault(d, set()).add(s.name)
    for c in containers:
        for d in _label_deps(c):
            deps.setdefault(d, set()).add(c.labels.get(L.SERVICE, ""))
    return deps


def _down_containers(project, observed, opts) -> list:
    if opts.services:
        return [c for c in observed.containers if c.labels.get(L.SERVICE) in opts.services
                and (not L.is_oneoff(c.labels) or opts.remove_orphans)]
    if project is None:
        return list(observed.containers)
    keep_out = set(c.id for c in orphans(project, observed)) | {c.id for c in observed.oneoffs()}
    if opts.remove_orphans:
        keep_out = set()
    return [c for c in observed.containers if c.id not in keep_out]


def plan_down(project, observed, opts: DownOptions) -> Plan:
    plan = Plan()
    targets = _down_containers(project, observed, opts)
    dependents = _dependents_map(project, targets)
    by_service: dict[str, list] = {}
    for c in targets:
        by_service.setdefault(c.labels.get(L.SERVICE, ""), []).append(c)
    stops: dict[str, list[str]] = {}
    ordered = sorted(by_service, key=lambda s: _depth(s, dependents), reverse=False)
    removes: list[str] = []
    for svc in ordered:
        after = [k for d in sorted(dependents.get(svc, ())) for k in stops.get(d, [])]
        for c in sorted(by_service[svc], key=lambda c: c.name):
            cause = "orphan" if project is not None and svc not in project.services else ""
            if not opts.remove:
                if c.state.running or c.state.status == "paused":
                    stops.setdefault(svc, []).append(plan.add(Operation(
                        f"stop:{c.name}", "container", c.name, STOP, cause, service=svc,
                        container_id=c.id, timeout=_timeout(project, c, opts), after=tuple(after))).key)
                continue
            stop_key, rm_key = _stop_remove(plan, c, cause, _timeout(project, c, opts), after)
            if stop_key:
                stops.setdefault(svc, []).append(stop_key)
                plan.get(stop_key).timeout = _timeout(project, c, opts)
            removes.append(rm_key)
    if opts.remove and not opts.services:
        _down_networks(plan, project, observed, removes)
        if opts.volumes:
            _down_volumes(plan, project, observed, removes)
    if opts.remove and project is not None and not opts.remove_orphans and not opts.services:
        found = orphans(project, observed)
        if found:
            plan.warnings.append(ORPHAN_WARNING.format(names=", ".join(sorted(c.name for c in found))))
    return plan


def plan_stop(project, observed, services=(), timeout=None) -> Plan:
    return plan_down(project, observed, DownOptions(services=tuple(services), timeout=timeout,
                                                    remove=False))


def _depth(service: str, dependents: dict, seen=()) -> int:
    """Distance from the top of the dependency chain: dependents stop first."""
    above = [d for d in dependents.get(service, ()) if d not in seen and d != service]
    return 0 if not above else 1 + max(_depth(d, dependents, seen + (service,)) for d in above)


def _timeout(project, c, opts) -> float | None:
    if opts.timeout is not None:
        return opts.timeout
    svc = c.labels.get(L.SERVICE, "")
    if project is not None and svc in project.services:
        return project.services[svc].stop_grace_period
    return None


def _down_networks(plan, project, observed, after) -> None:
    if project is not None:
        names = [net.name for net in project.networks.values() if not net.external]
        names += [network_engine_name(project, "default")]
    else:
        names = list(observed.networks)
    for name in dict.fromkeys(names):
        if name in observed.networks:
            plan.add(Operation(f"net-rm:{name}", "network", name, REMOVE, "", after=tuple(after)))


def _down_volumes(plan, project, observed, after) -> None:
    if project is not None:
        names = [vol.name for vol in project.volumes.values() if not vol.external]
    else:
        names = list(observed.volumes)
    for name in names:
        if name in observed.volumes:
            plan.add(Operation(f"vol-rm:{name}", "volume", name, REMOVE, "", after=tuple(after)))


def image_of(project, service) -> str:
    return image_ref(project, service)
