"""Attached `up`: stream logs, watch exits, apply --abort-on-container-exit/-failure and
--exit-code-from, and stop the stack on Ctrl-C (first: graceful, second: kill)."""
from __future__ import annotations

import queue
import signal
import sys
import threading

from . import project_common as pc


def attached_services(project, targets, attach, no_attach, attach_dependencies) -> list[str]:
    from compose.reconcile import selected_services
    scope, _ = selected_services(project, targets)
    if attach:
        chosen = list(attach)
    elif targets and not attach_dependencies:
        chosen = list(targets)
    else:
        chosen = [s for s in scope if project.services[s].attach is not False]
    return [s for s in chosen if s not in set(no_attach or ())]


DETACHED = object()          # _watch_exits: the user pressed `d` in the navigation menu


def run_attached(ctx, project, targets, up_opts, *, attach, no_attach, attach_dependencies,
                 abort_exit, abort_failure, exit_code_from, color, prefix, timestamps, timeout,
                 menu: bool = False, watcher=None, watch_stop=None) -> int:
    from compose.project_ops.attach import Follower, LogPrinter
    engine = pc.engine(ctx)
    services = attached_services(project, targets, attach, no_attach, attach_dependencies)
    printer = LogPrinter(sys.stdout, color=color, prefix=prefix, timestamps=timestamps,
                         project=project.name)
    follower = Follower(engine, project.name, services, printer)
    follower.detached = threading.Event()
    nav = _start_menu(ctx, project, follower, color, watcher, watch_stop) if menu else None
    # a SIGTERM is handled like the first Ctrl-C
    previous = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    try:
        from compose.naming import log_prefix
        attached = [log_prefix(project.name, c.name) for c in follower.containers()]
        if attached:
            sys.stdout.write(f"Attaching to {', '.join(attached)}\n")
            sys.stdout.flush()
        follower.start()
        code = _watch_exits(engine, project, follower, services, abort_exit, abort_failure,
                            exit_code_from)
    except KeyboardInterrupt:
        follower.stop()
        if nav is not None:
            nav.stop()
            nav = None
        sys.stderr.write("Gracefully Stopping... press Ctrl+C again to force\n")
        return _stop_stack(ctx, project, timeout, graceful=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if nav is not None:
            nav.stop()
    follower.stop()
    if code is DETACHED:
        return 0
    if code is not None:
        sys.stderr.write("Aborting on container exit...\n")
        _stop_stack(ctx, project, timeout, graceful=True)
        if exit_code_from:
            return _exit_code_of(engine, project, exit_code_from)
        return code
    return 0


def _start_menu(ctx, project, follower, color, watcher, watch_stop):
    """The navigation menu (`up --menu`): `w` toggles watch, `d` detaches."""
    from .project_menu import NavigationMenu
    state = {"stop": watch_stop}

    def toggle_watch():
        nonlocal watcher
        if state["stop"] is not None:            # watching: stop it
            state["stop"].set()
            state["stop"] = None
            return False
        if watcher is None:
            try:
                from .project_watch import make_watcher
                watcher = make_watcher(ctx, project, [], quiet=True)
            except Exception:                    # noqa: BLE001 - no develop.watch section
                return None
        from .project_watch import start_background
        state["stop"] = start_background(watcher)[0]
        return True

    nav = NavigationMenu(toggle_watch, follower.detached.set, color=color)
    nav.watching = watch_stop is not None
    nav.start()
    return nav


def _sigterm_as_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _watch_exits(engine, project, follower, services, abort_exit, abort_failure, exit_code_from):
    """Wait for container exits. Returns the exit code that triggers an abort, or None when
    every attached container has stopped for good."""
    detached = getattr(follower, "detached", None)
    while True:
        if detached is not None and detached.is_set():
            return DETACHED
        try:
            info = follower.exits.get(timeout=0.2 if detached is not None else 0.5)
        except queue.Empty:
            if detached is not None and detached.is_set():
                return DETACHED
            if _all_done(follower):
                return None
            continue
        code = info.state.exit_code
        if abort_exit:
            return code
        if abort_failure and code != 0:
            return code
        if _all_done(follower):
            return None


def _all_done(follower) -> bool:
    containers = follower.containers()
    if not containers:
        return True
    for c in containers:
        policy = c.spec.restart_policy.name if c.spec and c.spec.restart_policy else "no"
        if c.state.running or c.state.restarting or c.state.status == "created":
            return False
        if c.id not in follower.reported:     # its last lines and exit are not printed yet
            return False
        if policy in ("always", "unless-stopped") or (policy == "on-failure" and c.state.exit_code != 0):
            return False
    return True


def _exit_code_of(engine, project, service) -> int:
    from compose import labels as L
    found = engine.containers.list(all=True, filters=L.project_filter(
        project.name, f"{L.SERVICE}={service}", f"{L.ONEOFF}=False"))
    codes = [c.state.exit_code for c in found if not c.state.running]
    return codes[0] if codes else 0


def _stop_stack(ctx, project, timeout, *, graceful: bool) -> int:
    from compose.project_ops.down import stop
    engine = pc.engine(ctx)
    render = pc.renderer(ctx)
    try:
        stop(engine, project, (), pc.timeout_value(timeout), on_event=render, parallel=pc.parallel(ctx))
    except KeyboardInterrupt:
        _kill_all(engine, project)
        return 130
    finally:
        render.close()
    return 0


def _kill_all(engine, project) -> None:
    from compose import labels as L
    from engine.errors import EngineError
    for c in engine.containers.list(filters=L.project_filter(project.name)):
        try:
            engine.containers.kill(c.id, "SIGKILL")
        except EngineError:
            pass
