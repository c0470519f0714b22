"""Lifecycle verbs: down, start, stop, restart, rm, kill, pause, unpause, scale, wait."""
from __future__ import annotations

import sys
from typing import List, Optional

from compose.cli.ty import typer

from compose.errors import OperationFailed, UsageError

from . import project_common as pc


def _containers(engine, name, services=(), *, all_=True, oneoff=False):
    from compose import labels as L
    found = engine.containers.list(all=all_, filters=L.project_filter(name))
    out = [c for c in found if (not services or c.labels.get(L.SERVICE) in services)
           and (oneoff or not L.is_oneoff(c.labels))]
    return sorted(out, key=lambda c: c.name)


def _each(ctx, name, services, verb, fn, *, only=None) -> None:
    """Apply ``fn(engine, container)`` to the project's containers, emitting events."""
    from engine.errors import EngineError
    from engine.events import Event
    engine = pc.engine(ctx)
    render = pc.renderer(ctx)
    try:
        for c in _containers(engine, name, services):
            if only is not None and not only(c):
                continue
            render(Event("container", c.name, verb + "ing" if not verb.endswith("e") else verb[:-1] + "ing"))
            if not pc.dry_run(ctx):
                try:
                    fn(engine, c)
                except EngineError as e:
                    raise OperationFailed(str(e)) from e
            render(Event("container", c.name, verb + ("ed" if not verb.endswith("e") else "d")))
    finally:
        render.close()


def down(ctx: typer.Context,
         services: Optional[List[str]] = typer.Argument(None, metavar="SERVICE"),
         remove_orphans: bool = typer.Option(False, "--remove-orphans", help="Remove containers for services not defined in the Compose file"),
         rmi: Optional[str] = typer.Option(None, "--rmi", help='Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")'),
         timeout: Optional[int] = typer.Option(None, "-t", "--timeout", help="Specify a shutdown timeout in seconds"),
         volumes: bool = typer.Option(False, "-v", "--volumes", help="Remove named volumes declared in the volumes section of the Compose file and anonymous volumes attached to containers"),
         ) -> None:
    from compose.project_ops.down import down as do_down
    from compose.reconcile import DownOptions
    if rmi not in (None, "local", "all"):
        raise UsageError(f'invalid --rmi value {rmi!r}: expected "local" or "all"')
    project, name = pc.load_project_or_name(ctx)
    services = list(services or [])
    pc.check_services(project, services)
    opts = DownOptions(services=tuple(services),
                       remove_orphans=remove_orphans or pc.env_flag("COMPOSE_REMOVE_ORPHANS"),
                       volumes=volumes, timeout=pc.timeout_value(timeout))
    render = pc.renderer(ctx)
    try:
        plan = do_down(pc.engine(ctx), project, opts, name=name, rmi=rmi or "", on_event=render,
                       parallel=pc.parallel(ctx), dry_run=pc.dry_run(ctx))
    finally:
        render.close()
    if pc.dry_run(ctx):
        pc.print_plan(plan)
    elif not plan.actionable():
        sys.stderr.write(f'Warning: No resource found to remove for project "{name}".\n')


def start(ctx: typer.Context, services: Optional[List[str]] = typer.Argument(None, metavar="SERVICE"),
          wait: bool = typer.Option(False, "--wait", help="Wait for services to be running|healthy"),
          wait_timeout: Optional[int] = typer.Option(None, "--wait-timeout", help="Maximum duration to wait")) -> None:
    from compose.project_ops.up import converge
    from compose.reconcile import UpOptions
    project = pc.load_project(ctx, services or [])
    pc.check_services(project, services or [])
    engine = pc.engine(ctx)
    existing = {c.labels.get("com.docker.compose.service") for c in _containers(engine, project.name)}
    targets = tuple(s for s in (services or project.services) if s in existing)
    if not targets:
        raise OperationFailed("service(s) not created: run `pycompose up` or `pycompose create` first")
    render = pc.renderer(ctx)
    try:
        quiet_running = lambda ev: None if ev.status == "Running" else render(ev)   # noqa: E731
        plan = converge(engine, project, UpOptions(services=targets, no_deps=True, recreate="never",
                                                    ignore_orphans=True, scale=_current_scale(engine, project)),
                        on_event=quiet_running, parallel=pc.parallel(ctx), dry_run=pc.dry_run(ctx))
    finally:
        render.close()
    if pc.dry_run(ctx):
        pc.print_plan(plan)
    elif wait:
        from compose.project_ops.wait import wait_running
        wait_running(engine, project, targets, timeout=wait_timeout)


def stop(ctx: typer.Context, services: Optional[List[str]] = typer.Argument(None, metavar="SERVICE"),
         timeout: Optional[int] = typer.Option(None, "-t", "--timeout", help="Specify a shutdown timeout in seconds")) -> None:
    from compose.project_ops.down import stop as do_stop
    project, name = pc.load_project_or_name(ctx)
    pc.check_services(project, services or [])
    render = pc.renderer(ctx)
    try:
        plan = do_stop(pc.engine(ctx), project, tuple(services or ()), pc.timeout_value(timeout),
                       name=name, on_event=render, parallel=pc.parallel(ctx), dry_run=pc.dry_run(ctx))
    finally:
        render.close()
    if pc.dry_run(ctx):
        pc.print_plan(plan)


def restart(ctx: typer.Context, services: Optional[List[str]] = typer.Argument(None, metavar="SERVICE"),
            timeout: Optional[int] = typer.Option(None, "-t", "--timeout", help="Specify a shutdown timeout in seconds"),
            no_deps: bool = typer.Option(False, "--no-deps", help="Don't restart dependent services")) -> None:
    from compose.project_ops.restart import restart as do_restart
    project, name = pc.load_project_or_name(ctx)
    pc.check_services(project, services or [])
    render = pc.renderer(ctx)
    try:
        do_restart(pc.engine(ctx), project, name, tuple(services or ()), no_deps=no_deps,
                   timeout=pc.timeout_value(timeout), on_event=render, dry_run=pc.dry_run(ctx))
    finally:
        render.close()


def rm(ctx: typer.Context, services: Optional[List[str]] = typer.Argument(None, metavar="SERVICE"),
       force: bool = typer.Option(False, "-f", "--force", help="Don't ask to confirm removal"),
       stop_first: bool = typer.Option(False, "-s", "--stop", help="Stop the containers, if required, before removing"),
       volumes: bool = typer.Option(False, "-v", "--volumes", help="Remove any anonymous volumes attached to containers")) -> None:
    from compose.project_ops.down import remove_stopped, stop as do_stop
    project, name = pc.load_project_or_name(ctx)
    pc.check_services(project, services or [])
    engine = pc.engine(ctx)
    render = pc.renderer(ctx)
    try:
        if stop_first and not pc.dry_run(ctx):
            do_stop(engine, project, tuple(services or ()), name=name, on_event=render)
        removed = remove_stopped(engine, project, tuple(services or ()), volumes=volumes, name=name,
                                 on_event=render, dry_run=pc.dry_run(ctx))
    finally:
        render.close()
    if not removed:
        sys.stderr.write("No stopped containers\n")


def kill(ctx: typer.Context, services: Optional[List[str]] = typer.Argument(None, metavar="SERVICE"),
         sig: str = typer.Option("SIGKILL", "-s", "--signal", help="SIGNAL to send to the container"),
         remove_orphans: bool = typer.Option(False, "--remove-orphans", help="Remove containers for services not defined in the Compose file")) -> None:
    project, name = pc.load_project_or_name(ctx)
    pc.check_services(project, services or [])
    _each(ctx, name, services or (), "Kill", lambda e, c: e.containers.kill(c.id, sig),
          only=lambda c: c.state.running)


def pause(ctx: typer.Context, services: Optional[List[str]] = typer.Argument(None, metavar="SERVICE")) -> None:
    project, name = pc.load_project_or_name(ctx)
    pc.check_services(project, services or [])
    _each(ctx, name, services or (), "Pause", lambda e, c: e.containers.pause(c.id),
          only=lambda c: c.state.running and not c.state.paused)


def unpause(ctx: typer.Context, services: Optional[List[str]] = typer.Argument(None, metavar="SERVICE")) -> None:
    project, name = pc.load_project_or_name(ctx)
    pc.check_services(project, services or [])
    _each(ctx, name, services or (), "Unpause", lambda e, c: e.containers.unpause(c.id),
          only=lambda c: c.state.paused)


def scale(ctx: typer.Context, specs: List[str] = typer.Argument(..., help="SERVICE=REPLICAS"),
          no_deps: bool = typer.Option(False, "--no-deps", help="Don't start linked services")) -> None:
    from compose.project_ops.up import converge
    from compose.reconcile import UpOptions
    wanted = pc.parse_scale(specs)
    project = pc.load_project(ctx, list(wanted))
    pc.check_services(project, list(wanted))
    render = pc.renderer(ctx)
    try:
        plan = converge(pc.engine(ctx), project, UpOptions(services=tuple(wanted), no_deps=no_deps,
                                                           scale=wanted, ignore_orphans=True),
                        on_event=render, parallel=pc.parallel(ctx), dry_run=pc.dry_run(ctx))
    finally:
        render.close()
    if pc.dry_run(ctx):
        pc.print_plan(plan)


def wait(ctx: typer.Context, services: List[str] = typer.Argument(..., metavar="SERVICE"),
         down_project: bool = typer.Option(False, "--down-project", help="Drops project when the first container stops")) -> None:
    """Like Docker Compose: block until the first container of SERVICE(s) stops; exit with
    its exit code (then `down` the project with --down-project)."""
    import queue
    import threading
    project, name = pc.load_project_or_name(ctx)
    pc.check_services(project, services)
    engine = pc.engine(ctx)
    containers = _containers(engine, name, services)
    if not containers:
        raise OperationFailed(f"no containers for services: {', '.join(services)}")
    codes: "queue.Queue[int]" = queue.Queue()
    def waiter(cid: str) -> None:
        from engine.errors import EngineError
        try:
            codes.put(engine.containers.wait(cid, "not-running", None))
        except EngineError:
            pass                            # removed meanwhile (e.g. by --down-project)
    for c in containers:
        threading.Thread(target=waiter, args=(c.id,), daemon=True).start()
    code = codes.get()
    if down_project:
        from compose.project_ops.down import down as do_down
        from compose.reconcile import DownOptions
        do_down(engine, project, DownOptions(), name=name, on_event=pc.renderer(ctx))
    raise typer.Exit(code)


def register(root: typer.Typer, groups: dict) -> None:
    root.command("down", help="Stop and remove containers, networks")(down)
    root.command("start", help="Start services")(start)
    root.command("stop", help="Stop services")(stop)
    root.command("restart", help="Restart service containers")(restart)
    root.command("rm", help="Removes stopped service containers")(rm)
    root.command("kill", help="Force stop service containers")(kill)
    root.command("pause", help="Pause services")(pause)
    root.command("unpause", help="Unpause services")(unpause)
    root.command("scale", help="Scale services")(scale)
    root.command("wait", help="Block until containers of all (or specified) services stop.")(wait)


def _current_scale(engine, project) -> dict:
    from compose import labels as L
    counts: dict[str, int] = {}
    for c in _containers(engine, project.name):
        s = c.labels.get(L.SERVICE, "")
        counts[s] = counts.get(s, 0) + 1
    return counts
