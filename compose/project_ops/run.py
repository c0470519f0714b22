"""`run`: a one-off container of a service (<project>-<service>-run-<12 hex>), labelled
oneoff=True with its slug; restart policy cleared; ports only with --service-ports/-p;
network aliases only with --use-aliases. Dependencies are started (and waited for) first,
and never stopped afterwards (BEHAVIOUR.md §5.2, §5.9)."""
from __future__ import annotations

from engine.records import field, record, replace
from typing import Optional

from .. import convert, naming
from ..executor import write_file_contents
from ..hashing_compat import service_hash
from ..observe import observe
from ..reconcile import UpOptions, dependency_closure, plan_infra
from .common import project_lock
from .up import converge


@record
class RunOptions:
    command: Optional[tuple] = None
    entrypoint: Optional[tuple] = None
    env: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    name: str = ""
    user: str = ""
    workdir: str = ""
    volumes: tuple = ()                  # "src:dst[:ro]"
    publish: tuple = ()                  # "[ip:]host:container[/proto]"
    service_ports: bool = False
    use_aliases: bool = False
    no_deps: bool = False
    tty: bool = False
    interactive: bool = False
    remove_orphans: bool = False


def start_dependencies(engine, project, service_name: str, opts: RunOptions, image_opts, *,
                       on_event=None, parallel: int = -1) -> None:
    """Start the service's dependencies (unless --no-deps), then create the networks and
    volumes the one-off container itself needs (Docker Compose does both for `run`)."""
    deps = [d for d in dependency_closure(project, [service_name]) if d != service_name]
    if deps and not opts.no_deps:
        converge(engine, project, UpOptions(services=tuple(deps), ignore_orphans=True,
                                            remove_orphans=opts.remove_orphans),
                 image_opts, on_event=on_event, parallel=parallel)
    with project_lock(engine, project.name):
        plan = plan_infra(project, observe(engine, project, images=False, containers=False), [service_name])
        if plan.actionable():
            from ..executor import Executor
            Executor(engine, project, on_event=on_event, parallel=parallel).run(plan)


def oneoff_spec(engine, project, service_name: str, opts: RunOptions, slug: str, *,
                known_images: Optional[dict] = None):
    service = project.services[service_name]
    env = dict(service.environment)
    env.update(opts.env)
    service = replace(service,
                      command=opts.command if opts.command is not None else service.command,
                      entrypoint=opts.entrypoint if opts.entrypoint is not None else service.entrypoint,
                      environment=env, labels={**service.labels, **opts.labels},
                      user=opts.user or service.user, working_dir=opts.workdir or service.working_dir,
                      tty=opts.tty, stdin_open=opts.interactive, restart=None, container_name=None)
    ref = convert.image_ref(project, service)
    image_id = (known_images or {}).get(ref) or engine.images.inspect(ref).id
    ctx = convert.ContainerContext(number=1, config_hash=service_hash(project, service),
                                   image_id=image_id, oneoff=True, slug=slug,
                                   name=opts.name or naming.oneoff_name(project.name, service_name, slug))
    from ..executor import namespace_parents, service_containers
    for dep in namespace_parents(service):
        found = service_containers(engine, project.name, dep)
        if found:
            ctx.service_containers[dep] = found[0].id
    ctx.secret_files = write_file_contents(engine, project, service)
    spec = convert.container_spec(project, service, ctx)
    ports = tuple(convert._ports(service)) if opts.service_ports else ()
    ports += tuple(b for p in opts.publish for b in parse_publish(p))
    mounts = spec.mounts + tuple(parse_volume(v) for v in opts.volumes)
    networks = spec.networks
    if opts.use_aliases:
        networks = {n: replace(e, aliases=(service_name, *e.aliases)) for n, e in networks.items()}
    deploy_restart = spec.restart_policy.__class__()
    return replace(spec, ports=ports, mounts=mounts, networks=networks, restart_policy=deploy_restart)


def parse_publish(text: str) -> list:
    """``run -p``: the bindings of one spec, parsed like ``docker run -p`` (container port
    ranges, IPv6 host addresses, Docker's error texts)."""
    from compose.cli.container_cmd.args import parse_publish as parse_spec
    return parse_spec(text)


def parse_volume(text: str):
    from engine.types import Mount
    parts = text.split(":")
    src, dst = parts[0], parts[1] if len(parts) > 1 else parts[0]
    ro = len(parts) > 2 and "ro" in parts[2].split(",")
    if src.startswith(("/", ".", "~")):
        import os
        return Mount(type="bind", source=os.path.abspath(os.path.expanduser(src)), target=dst,
                     read_only=ro, create_host_path=True)
    return Mount(type="volume", source=src, target=dst, read_only=ro)


def create_oneoff(engine, project, service_name: str, opts: RunOptions, *,
                  known_images: Optional[dict] = None, auto_remove: bool = False):
    """Create (not start) the one-off container; returns its ContainerInfo. ``auto_remove``:
    the engine removes it when it stops (foreground ``run --rm``)."""
    slug = naming.oneoff_slug()
    with project_lock(engine, project.name):
        spec = oneoff_spec(engine, project, service_name, opts, slug, known_images=known_images)
        if auto_remove:
            return engine.containers.create(spec, auto_remove=True)
        return engine.containers.create(spec)
