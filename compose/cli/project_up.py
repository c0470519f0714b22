"""`up` and `create` (BEHAVIOUR.md §1.3, §5.9, §5.11)."""
from __future__ import annotations

from typing import List, Optional

from compose.cli.ty import typer

from compose.errors import UsageError

from . import project_common as pc

PULL_VALUES = ("always", "missing", "never", "build", "policy")


def validate_up_flags(*, detach, wait, abort_exit, abort_failure, exit_code_from, attach,
                      attach_dependencies, watch, build, no_build, force_recreate, no_recreate,
                      always_recreate_deps, renew_anon, wait_timeout) -> tuple[bool, bool]:
    """Docker Compose's validateFlags; returns (detach, abort_on_exit) after implications."""
    if wait:
        detach = True
    if abort_exit and abort_failure:
        raise UsageError("--abort-on-container-exit and --abort-on-container-failure are mutually exclusive")
    if exit_code_from and not abort_failure:
        abort_exit = True
    if detach and (abort_exit or abort_failure or exit_code_from):
        raise UsageError("--abort-on-container-exit, --abort-on-container-failure and "
                         "--exit-code-from cannot be combined with -d/--detach or --wait")
    if detach and (attach or attach_dependencies):
        raise UsageError("--attach and --attach-dependencies cannot be combined with -d/--detach or --wait")
    if detach and watch:
        raise UsageError("--watch cannot be combined with -d/--detach or --wait")
    if build and no_build:
        raise UsageError("--build and --no-build are incompatible")
    if no_recreate and (force_recreate or always_recreate_deps or renew_anon):
        raise UsageError("--no-recreate is incompatible with --force-recreate, "
                         "--always-recreate-deps and --renew-anon-volumes")
    if no_build and watch:
        raise UsageError("--no-build and --watch are incompatible")
    if wait_timeout is not None and wait_timeout < 0:
        raise UsageError("--wait-timeout must be a positive integer")
    return detach, abort_exit


def _up_options(project, services, *, no_deps, force_recreate, no_recreate, always_recreate_deps,
                renew_anon, remove_orphans, scale, no_start, timeout):
    from compose.reconcile import UpOptions
    for name, count in pc.parse_scale(scale).items():
        if name not in project.services:
            raise UsageError(f"no such service: {name}")
        if count > 1 and project.services[name].container_name:
            raise UsageError(f'can\'t set container_name and {name} as container name must be unique')
    recreate = "force" if force_recreate else ("never" if no_recreate else "diverged")
    deps = "force" if always_recreate_deps else ("never" if no_recreate else "diverged")
    return UpOptions(services=tuple(services), no_deps=no_deps, recreate=recreate,
                     recreate_deps=deps, renew_anon_volumes=renew_anon,
                     remove_orphans=remove_orphans or pc.env_flag("COMPOSE_REMOVE_ORPHANS"),
                     ignore_orphans=pc.env_flag("COMPOSE_IGNORE_ORPHANS"),
                     scale=pc.parse_scale(scale), no_start=no_start,
                     timeout=pc.timeout_value(timeout))


def _image_options(pull, build, no_build, quiet_pull, quiet_build):
    from compose.project_ops.common import ImageOptions
    if pull is not None and pull not in PULL_VALUES:
        raise UsageError(f"invalid --pull value {pull!r}: expected always, missing, never or build")
    return ImageOptions(pull=None if pull in (None, "policy") else pull, build=build,
                        no_build=no_build, quiet_pull=quiet_pull, quiet_build=quiet_build)


def _converge(ctx, project, up_opts, image_opts, yes: bool = False) -> bool:
    """Run the plan (or print it with --dry-run). Returns False for a dry run."""
    from compose.project_ops.up import converge
    render = pc.renderer(ctx)
    try:
        plan = converge(pc.engine(ctx), project, up_opts, image_opts, on_event=render,
                        parallel=pc.parallel(ctx), dry_run=pc.dry_run(ctx),
                        confirm=(lambda _q: True) if yes else pc.confirm)
    finally:
        render.close()
    if pc.dry_run(ctx):
        pc.print_plan(plan)
        return False
    return True


def up(ctx: typer.Context,
       services: Optional[List[str]] = typer.Argument(None, metavar="SERVICE"),
       detach: bool = typer.Option(False, "-d", "--detach", help="Run containers in the background"),
       build: bool = typer.Option(False, "--build", help="Build images before starting containers"),
       no_build: bool = typer.Option(False, "--no-build", help="Don't build an image, even if it's missing"),
       pull: Optional[str] = typer.Option(None, "--pull", help='Pull image before running ("always"|"missing"|"never")'),
       quiet_pull: bool = typer.Option(False, "--quiet-pull", help="Pull without printing progress information"),
       quiet_build: bool = typer.Option(False, "--quiet-build", help="Suppress the build output"),
       force_recreate: bool = typer.Option(False, "--force-recreate", help="Recreate containers even if their configuration and image haven't changed"),
       no_recreate: bool = typer.Option(False, "--no-recreate", help="If containers already exist, don't recreate them"),
       always_recreate_deps: bool = typer.Option(False, "--always-recreate-deps", help="Recreate dependent containers"),
       renew_anon: bool = typer.Option(False, "-V", "--renew-anon-volumes", help="Recreate anonymous volumes instead of retrieving data from the previous containers"),
       remove_orphans: bool = typer.Option(False, "--remove-orphans", help="Remove containers for services not defined in the Compose file"),
       scale: Optional[List[str]] = typer.Option(None, "--scale", help="Scale SERVICE to NUM instances"),
       no_deps: bool = typer.Option(False, "--no-deps", help="Don't start linked services"),
       no_start: bool = typer.Option(False, "--no-start", help="Don't start the services after creating them"),
       abort_exit: bool = typer.Option(False, "--abort-on-container-exit", help="Stops all containers if any container was stopped"),
       abort_failure: bool = typer.Option(False, "--abort-on-container-failure", help="Stops all containers if any container exited with failure"),
       exit_code_from: Optional[str] = typer.Option(None, "--exit-code-from", help="Return the exit code of the selected service container"),
       timeout: Optional[int] = typer.Option(None, "-t", "--timeout", help="Use this timeout in seconds for container shutdown"),
       wait: bool = typer.Option(False, "--wait", help="Wait for services to be running|healthy. Implies detached mode"),
       wait_timeout: Optional[int] = typer.Option(None, "--wait-timeout", help="Maximum duration in seconds to wait for the project to be running|healthy"),
       attach: Optional[List[str]] = typer.Option(None, "--attach", help="Restrict attaching to the specified services"),
       no_attach: Optional[List[str]] = typer.Option(None, "--no-attach", help="Do not attach (stream logs) to the specified services"),
       attach_dependencies: bool = typer.Option(False, "--attach-dependencies", help="Automatically attach to log output of dependent services"),
       no_color: bool = typer.Option(False, "--no-color", help="Produce monochrome output"),
       no_log_prefix: bool = typer.Option(False, "--no-log-prefix", help="Don't print prefix in logs"),
       timestamps: bool = typer.Option(False, "--timestamps", help="Show timestamps"),
       watch: bool = typer.Option(False, "-w", "--watch", help="Watch source code and rebuild/refresh containers when files are updated"),
       yes: bool = typer.Option(False, "-y", "--yes", help='Assume "yes" as answer to all prompts'),
       menu: bool = typer.Option(False, "--menu", help="Enable interactive shortcuts when running attached. Incompatible with --detach. Can also be enable/disable by setting COMPOSE_MENU environment var."),
       ) -> None:
    services = list(services or [])
    detach, abort_exit = validate_up_flags(
        detach=detach, wait=wait, abort_exit=abort_exit, abort_failure=abort_failure,
        exit_code_from=exit_code_from, attach=attach, attach_dependencies=attach_dependencies,
        watch=watch, build=build, no_build=no_build, force_recreate=force_recreate,
        no_recreate=no_recreate, always_recreate_deps=always_recreate_deps,
        renew_anon=renew_anon, wait_timeout=wait_timeout)
    project = pc.load_project(ctx, services)
    pc.check_services(project, services)
    if exit_code_from and exit_code_from not in project.services:
        raise UsageError(f"no such service: {exit_code_from}")
    watcher = _watcher(ctx, project, services, quiet_build) if watch else None
    up_opts = _up_options(project, services, no_deps=no_deps, force_recreate=force_recreate,
                          no_recreate=no_recreate, always_recreate_deps=always_recreate_deps,
                          renew_anon=renew_anon, remove_orphans=remove_orphans, scale=scale,
                          no_start=no_start, timeout=timeout)
    if not _converge(ctx, project, up_opts, _image_options(pull, build, no_build, quiet_pull, quiet_build),
                     yes=yes):
        return
    if no_start:
        return
    if wait:
        _wait(ctx, project, up_opts, wait_timeout)
        return
    if detach:
        return
    from .project_attach import run_attached
    from .project_menu import menu_enabled
    stop_watch = _start_watch(watcher) if watcher is not None else None
    code = run_attached(ctx, project, services, up_opts, attach=attach, no_attach=no_attach,
                        attach_dependencies=attach_dependencies, abort_exit=abort_exit,
                        abort_failure=abort_failure, exit_code_from=exit_code_from,
                        color=pc.use_color(ctx, no_color), prefix=not no_log_prefix,
                        timestamps=timestamps, timeout=timeout,
                        menu=menu_enabled(True if menu else None), watcher=watcher,
                        watch_stop=stop_watch)
    if stop_watch is not None:
        stop_watch.set()
    raise typer.Exit(code)


def _watcher(ctx, project, services, quiet):
    from .project_watch import make_watcher      # validates the develop.watch rules early
    return make_watcher(ctx, project, services, quiet=quiet)


def _start_watch(watcher):
    from .project_watch import start_background
    return start_background(watcher)[0]


def create(ctx: typer.Context,
           services: Optional[List[str]] = typer.Argument(None, metavar="SERVICE"),
           build: bool = typer.Option(False, "--build", help="Build images before starting containers"),
           no_build: bool = typer.Option(False, "--no-build", help="Don't build an image, even if it's missing"),
           pull: Optional[str] = typer.Option(None, "--pull", help='Pull image before running ("always"|"missing"|"never"|"build")'),
           quiet_pull: bool = typer.Option(False, "--quiet-pull", help="Pull without printing progress information"),
           force_recreate: bool = typer.Option(False, "--force-recreate", help="Recreate containers even if unchanged"),
           no_recreate: bool = typer.Option(False, "--no-recreate", help="If containers already exist, don't recreate them"),
           remove_orphans: bool = typer.Option(False, "--remove-orphans", help="Remove containers for services not defined in the Compose file"),
           scale: Optional[List[str]] = typer.Option(None, "--scale", help="Scale SERVICE to NUM instances"),
           yes: bool = typer.Option(False, "-y", "--yes", help='Assume "yes" as answer to all prompts'),
           ) -> None:
    services = list(services or [])
    validate_up_flags(detach=True, wait=False, abort_exit=False, abort_failure=False,
                      exit_code_from=None, attach=None, attach_dependencies=False, watch=False,
                      build=build, no_build=no_build, force_recreate=force_recreate,
                      no_recreate=no_recreate, always_recreate_deps=False, renew_anon=False,
                      wait_timeout=None)
    project = pc.load_project(ctx, services)
    pc.check_services(project, services)
    up_opts = _up_options(project, services, no_deps=False, force_recreate=force_recreate,
                          no_recreate=no_recreate, always_recreate_deps=False, renew_anon=False,
                          remove_orphans=remove_orphans, scale=scale, no_start=True, timeout=None)
    _converge(ctx, project, up_opts, _image_options(pull, build, no_build, quiet_pull, False), yes=yes)


def register(root: typer.Typer, groups: dict) -> None:
    root.command("up", help="Create and start containers")(up)
    root.command("create", help="Creates containers for a service")(create)


def _wait(ctx, project, up_opts, wait_timeout) -> None:
    from compose.project_ops.wait import wait_running
    from compose.reconcile import selected_services
    scope, targets = selected_services(project, up_opts.services)
    if up_opts.no_deps:
        scope = [s for s in scope if s in targets]
    scope = [s for s in scope if up_opts.scale.get(s, project.services[s].scale) > 0]
    render = pc.renderer(ctx)
    try:
        wait_running(pc.engine(ctx), project, scope, timeout=wait_timeout, on_event=render)
    finally:
        render.close()
