"""Helpers shared by the project operations: the project lock and image resolution."""
from __future__ import annotations

import tempfile
from contextlib import contextmanager
from engine.records import record
from pathlib import Path
from typing import Optional

from compose.errors import OperationFailed
from engine.errors import EngineError, NotFound
from engine.events import Event

from ..convert import image_ref

LOCK_TIMEOUT = 600.0


@contextmanager
def project_lock(engine, name: str, timeout: float = LOCK_TIMEOUT):
    """Serialise state-changing commands of one project (two concurrent `up`s converge)."""
    from engine.locks import flock
    layout = getattr(engine, "layout", None)
    if layout is not None:
        path = layout.lock_file(f"project-{name}")
    else:                                   # the in-memory test engine keeps its own lock dir
        path = Path(getattr(engine, "lock_dir", tempfile.gettempdir())) / f"project-{name}.lock"
    with flock(path, timeout=timeout, what=f"project {name}"):
        yield


@record
class ImageOptions:
    pull: Optional[str] = None          # --pull always|missing|never|build (None = per service policy)
    build: bool = False                 # --build
    no_build: bool = False              # --no-build
    quiet_pull: bool = False
    quiet_build: bool = False
    dry_run: bool = False


def ensure_images(engine, project, services, opts: ImageOptions, on_event=None) -> dict:
    """Pull or build what the services need (BEHAVIOUR.md §5.13), before anything is created.
    Returns {image ref: image id} of the images found present and left alone (the caller's
    observe() reuses them instead of inspecting again)."""
    emit = on_event or (lambda ev: None)
    to_build = []
    pulled: set = set()
    known: dict = {}
    for name in services:
        svc = project.services[name]
        ref = image_ref(project, svc)
        policy_key = (ref, opts.pull or svc.pull_policy)
        if svc.build is None and policy_key in pulled:
            continue                        # same image, same policy: decided already
        pulled.add(policy_key)
        policy = (opts.pull or svc.pull_policy or "missing").replace("if_not_present", "missing")
        buildable = svc.build is not None and not opts.no_build
        if buildable and (opts.build or policy == "build"):
            to_build.append(name)
            continue
        present = _present(engine, ref)
        if present and policy != "always":
            if present != "?":
                known[ref] = present
            continue
        if policy == "never" and not present:
            raise OperationFailed(f"service {name}: No such image: {ref} (pull_policy: never)")
        if buildable and not svc.image:
            to_build.append(name)
            continue
        try:
            if opts.dry_run:
                emit(Event("image", ref, "Pulling", "(dry run)"))
                continue
            engine.images.pull(ref, on_event=None if opts.quiet_pull else on_event)  # emits Pulling/Pulled
        except EngineError as e:
            if buildable:
                to_build.append(name)
                continue
            if present:
                emit(Event("warning", ref, f"pull failed, using the local image: {e}"))
                continue
            raise OperationFailed(f"service {name}: image {ref} is not present locally and "
                                  f"could not be pulled: {e}") from e
    if to_build and not opts.dry_run:
        build_images(engine, project, to_build, opts, emit)
    return known


def build_images(engine, project, services, opts, emit) -> None:
    try:
        from compose.build_project import build_services
    except ImportError as e:
        raise OperationFailed(f"cannot build {', '.join(services)}: the builder is not available") from e
    build_services(project, engine, list(services), None, None if opts.quiet_build else emit)


def _present(engine, ref: str) -> str:
    """The image id of ``ref`` ("" when it is not present)."""
    try:
        return engine.images.inspect(ref).id or "?"
    except NotFound:
        return ""
    except EngineError:
        return ""
