"""`up -d` when there is nothing to do, without typer, the loader or the engine services.

    code = try_up(argv)      # 0 after printing what `up -d` prints; None: take the full path

A no-op ``up -d`` (every container running and up to date) used to cost ~200 ms, nearly all
of it imports: typer, the engine services, compose.hashing, the executor. This path runs the
same steps with light parts and stops as soon as it cannot be sure the outcome is "nothing
to do", before anything is printed or changed; compose.cli.main then runs the command as
usual. Steps, each the same as the full path's:

1. argv: only global -f/--file, -p/--project-name, --project-directory, --env-file,
   --profile, --root, --runroot, then ``up`` with -d/--detach and service names. Anything
   else (--dry-run, --progress, --pull, --wait, --help, ...) -> full path.
2. the project from the project cache (compose.project_cache.read_entry), with the config
   hashes and normalised image names stored with it; a cache miss -> full path. The
   loader's replayed warnings are held back and printed only if this path finishes.
3. the images every service in scope needs: present (pull_policy always/build -> full path).
4. under the project lock (taken without waiting; held by another command -> full path):
   compose.observe_light (the engine's records through read-only queries), then the real
   planner (compose.reconcile.plan_up) on that snapshot. A diverged volume, an orphan
   warning or any operation other than "keep" -> full path.
5. what the full path prints for such a plan: ``Container <name> Running`` for each running
   container (through the same renderer choice), and exit code 0.

tests/compose/test_up_light.py runs both paths on real containers and compares outputs,
and checks that a stopped, killed, removed or reconfigured container goes the full path.
"""
from __future__ import annotations

import os

from compose import labels as L

_VALUE_OPTIONS = {"-f": "files", "--file": "files", "-p": "project_name",
                  "--project-name": "project_name", "--project-directory": "project_directory",
                  "--env-file": "env_files", "--profile": "profiles", "--root": "root",
                  "--runroot": "runroot"}
_LISTS = ("files", "env_files", "profiles")
PID_WIDTH = 11                               # engine.locks.PID_WIDTH (holder pid record)


def try_up(argv: list) -> "int | None":
    parsed = parse_argv(argv)
    if parsed is None or os.environ.get("PYCOMPOSE_NO_LIGHT_UP"):
        return None
    opts, services = parsed
    try:
        decided = _decide(opts, services)
    except Exception:           # noqa: BLE001 - not sure: the full path runs (and reports)
        return None
    if decided is None:
        return None             # (the full path reuses the project entry read here)
    from compose.project_cache import forget_handed_over
    forget_handed_over()
    warnings, running, lock = decided
    try:                        # printed under the project lock, like the full path
        _print(opts, warnings, running)
    except OSError as e:        # a closed pipe: what main._invoke_light makes of it
        from .main import closed_pipe_exit
        return closed_pipe_exit(e)
    finally:
        os.close(lock)
    return 0


def parse_argv(argv: list):
    """(GlobalOptions, services) for ``[global options] up -d [SERVICE...]``; None otherwise."""
    from .options import GlobalOptions
    if "_PYCOMPOSE_COMPLETE" in os.environ or not _parallel_env_ok():
        return None
    values: dict = {name: [] for name in _LISTS}
    i = 0
    while i < len(argv) and argv[i] != "up":
        name, eq, value = argv[i].partition("=") if argv[i].startswith("--") else (argv[i], "", "")
        field = _VALUE_OPTIONS.get(name)
        if field is None:
            return None
        if not eq:
            i += 1
            if i >= len(argv) or argv[i].startswith("-"):
                return None
            value = argv[i]
        if field in _LISTS:
            values[field].append(value)
        else:
            values[field] = value
        i += 1
    if i >= len(argv):
        return None
    detach, services = False, []
    for word in argv[i + 1:]:
        if word in ("-d", "--detach"):
            detach = True
        elif word.startswith("-") or not word:
            return None
        else:
            services.append(word)
    if not detach:
        return None
    for field, env in (("root", "PYCOMPOSE_ROOT"), ("runroot", "PYCOMPOSE_RUNROOT")):
        if field not in values:
            values[field] = os.environ.get(env) or None      # click: an empty variable is unset
    return GlobalOptions(**values), services


def _parallel_env_ok() -> bool:
    """COMPOSE_PARALLEL_LIMIT feeds an int option: a bad value is typer's usage error."""
    value = os.environ.get("COMPOSE_PARALLEL_LIMIT")
    if not value:
        return True
    try:
        int(value)
        return True
    except ValueError:
        return False


def _decide(opts, services) -> "tuple | None":
    """(loader warnings, running container names, project lock fd) when `up` has nothing
    to do but report them; None when that is not certain (nothing printed or changed)."""
    from compose import project_cache
    from engine.layout import Paths
    from engine.runtime.query import first_use_after_boot
    paths = Paths.from_env(opts.root, opts.runroot)       # the full path's Layout.from_env
    root, runroot = paths.root, paths.runroot
    if first_use_after_boot(runroot):
        return None
    warnings: list = []
    load_opts = _load_options(opts, services, warnings.append)
    path = project_cache.entry_path(load_opts, os.path.join(runroot, "compose-cache"))
    found = None if path is None else project_cache.read_entry(path, load_opts, hand_over=True)
    if found is None:
        return None
    project, derived = found
    if not derived.get("images") or any(s not in project.services for s in services):
        return None
    from compose.reconcile import selected_services
    scope, _targets = selected_services(project, services)
    if not _images_settled(project, scope):
        return None
    lock = _try_lock(paths.lock_file(f"project-{project.name}"))
    if lock is None:
        return None
    try:
        running = _running_if_nothing_to_do(root, project, services, scope, derived["images"])
    except BaseException:
        os.close(lock)
        raise
    if running is None:
        os.close(lock)
        return None
    from engine.layout import ensure_dirs
    ensure_dirs(root, runroot)          # what constructing the Engine does on the full path
    return warnings, running, lock


def _load_options(opts, services, on_warning):
    """compose.cli.project_common.load_options with the warnings held back."""
    from compose.loader.options import LoadOptions
    return LoadOptions(files=list(opts.files), project_name=opts.project_name,
                       project_directory=opts.project_directory, env_files=list(opts.env_files),
                       profiles=list(opts.profiles), services=list(services),
                       on_warning=on_warning)


def _images_settled(project, scope) -> bool:
    """ensure_images would leave every image alone if present (policy missing/never/...)."""
    for name in scope:
        svc = project.services[name]
        policy = (svc.pull_policy or "missing").replace("if_not_present", "missing")
        if policy == "always" or (svc.build is not None and policy == "build"):
            return False
    return True


def _running_if_nothing_to_do(root, project, services, scope, image_names) -> "list | None":
    """Names of the running containers `up` would report, if its plan does nothing else."""
    from engine.runtime.query import labelled_containers
    containers = labelled_containers(root, f"{L.PROJECT}={project.name}")
    if containers is None or not _all_running(project, scope, containers):
        return None                  # e.g. a cold `up`: decided before the other queries
    from compose.observe_light import observe_light
    from compose.reconcile import UpOptions, diverged_volumes, plan_up
    from compose.plan import KEEP
    observed = observe_light(root, project, image_names, containers)
    if observed is None or any(not observed.image_ids.get(name) for name in scope):
        return None
    if diverged_volumes(project, observed, scope):
        return None                                   # a prompt (or -y) decides: full path
    opts = UpOptions(services=tuple(services), remove_orphans=_env_flag("COMPOSE_REMOVE_ORPHANS"),
                     ignore_orphans=_env_flag("COMPOSE_IGNORE_ORPHANS"))
    plan = plan_up(project, observed, opts)
    if plan.actionable() or plan.warnings:
        return None
    return [op.name for op in plan.ordered()
            if op.action == KEEP and op.kind == "container" and op.cause == "up to date"]


def _all_running(project, scope, containers) -> bool:
    """Every service in scope that should run has a running container (a cheap early "no":
    the planner decides the rest)."""
    running = {c.labels.get(L.SERVICE) for c in containers
               if c.state.running and not L.is_oneoff(c.labels)}
    return all(name in running for name in scope if project.services[name].scale != 0)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


def _try_lock(path: str) -> "int | None":
    """engine.locks.flock(path) without waiting: the fd holding it, or None when another
    command holds it (the full path waits for it) or when the lock file does not exist yet
    (the `up` that made the containers made it: this path never creates files)."""
    import errno
    import fcntl
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.EAGAIN, errno.EACCES):
            return None
        raise
    try:
        os.pwrite(fd, f"{os.getpid():<{PID_WIDTH}}\n".encode(), 0)
    except OSError:
        pass
    return fd


def _print(opts, warnings, running) -> None:
    """The loader's warnings, then one ``Container <name> Running`` event per container,
    through the renderer the full path would pick (compose.cli.render.make_renderer)."""
    from . import project_common as pc
    for message in warnings:
        pc._warn(message)
    mode, stream = pc.progress_target(opts)
    if mode == "quiet" or not running:
        return
    if mode != "json" and not (mode in ("tty", "auto") and stream.isatty()):
        for name in running:                      # render.PlainRenderer's lines
            stream.write(f"Container {name} Running\n")
            stream.flush()
        return
    from engine.events import Event
    from .render import make_renderer
    render = make_renderer(mode, stream)
    try:
        for name in running:
            render(Event("container", name, "Running"))
    finally:
        render.close()

