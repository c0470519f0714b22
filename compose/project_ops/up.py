"""`up` / `create`: images → lock → observe → plan → execute.

    plan = converge(engine, project, UpOptions(...), image_opts, on_event=..., parallel=...)
"""
from __future__ import annotations

from typing import Callable, Optional

from ..executor import Executor
from ..observe import observe
from ..plan import Plan
from ..reconcile import UpOptions, plan_up, selected_services
from .common import ImageOptions, ensure_images, project_lock


def converge(engine, project, opts: UpOptions, image_opts: Optional[ImageOptions] = None, *,
             on_event: Optional[Callable] = None, parallel: int = -1, dry_run: bool = False,
             lock_timeout: float = 600.0) -> Plan:
    """Bring the engine to the project's desired state. Returns the plan that was executed
    (or, with dry_run, the plan that would be)."""
    image_opts = image_opts or ImageOptions()
    image_opts.dry_run = image_opts.dry_run or dry_run
    scope, targets = selected_services(project, opts.services)
    if opts.no_deps:
        scope = [s for s in scope if s in targets]
    ensure_images(engine, project, scope, image_opts, on_event)
    if dry_run:
        return plan_up(project, observe(engine, project), opts)
    with project_lock(engine, project.name, timeout=lock_timeout):
        plan = plan_up(project, observe(engine, project), opts)
        Executor(engine, project, on_event=on_event, parallel=parallel).run(plan)
    return plan
