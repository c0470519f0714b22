"""`up` / `create`: images → lock → observe → plan → execute.

    plan = converge(engine, project, UpOptions(...), image_opts, on_event=..., parallel=...)
"""
from __future__ import annotations

from typing import Callable, Optional

from ..observe import observe
from ..plan import Plan
from ..reconcile import UpOptions, plan_up, selected_services
from .common import ImageOptions, ensure_images, project_lock


VOLUME_PROMPT = ('Volume "{name}" exists but doesn\'t match configuration in compose file. '
                 'Recreate (data will be lost)?')


def converge(engine, project, opts: UpOptions, image_opts: Optional[ImageOptions] = None, *,
             on_event: Optional[Callable] = None, parallel: int = -1, dry_run: bool = False,
             lock_timeout: float = 600.0, confirm: Optional[Callable[[str], bool]] = None) -> Plan:
    """Bring the engine to the project's desired state. Returns the plan that was executed
    (or, with dry_run, the plan that would be). ``confirm(question) -> bool`` is asked before
    a volume whose config diverged is recreated (None: keep the volume)."""
    image_opts = image_opts or ImageOptions()
    image_opts.dry_run = image_opts.dry_run or dry_run
    scope, targets = selected_services(project, opts.services)
    if opts.no_deps:
        scope = [s for s in scope if s in targets]
    known = ensure_images(engine, project, scope, image_opts, on_event)
    if dry_run:
        return plan_up(project, observe(engine, project, known_images=known), opts)
    with project_lock(engine, project.name, timeout=lock_timeout):
        observed = observe(engine, project, known_images=known)
        opts = _ask_volumes(project, observed, opts, scope, confirm)
        plan = plan_up(project, observed, opts)
        run_plan(engine, project, plan, on_event=on_event, parallel=parallel)
    return plan


def _ask_volumes(project, observed, opts: UpOptions, scope, confirm) -> UpOptions:
    from ..reconcile import diverged_volumes
    names = diverged_volumes(project, observed, scope)
    if not names:
        return opts
    from dataclasses import replace
    agreed = tuple(n for n in names
                   if confirm is not None and confirm(VOLUME_PROMPT.format(name=n)))
    return replace(opts, recreate_volumes=tuple(opts.recreate_volumes) + agreed)


def run_plan(engine, project, plan: Plan, *, on_event=None, parallel: int = -1) -> None:
    """Execute ``plan``; a plan with nothing to do only reports the running containers
    (without building the executor's thread pool)."""
    if plan.actionable() or plan.warnings:
        from ..executor import Executor
        Executor(engine, project, on_event=on_event, parallel=parallel).run(plan)
        return
    if on_event is not None:
        from engine.events import Event
        from ..plan import KEEP
        for op in plan.ordered():
            if op.action == KEEP and op.kind == "container" and op.cause == "up to date":
                on_event(Event("container", op.name, "Running"))
