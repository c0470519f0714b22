"""What a batch of changes does to the running project (Docker Compose pkg/compose/watch.go).

    sync          copy changed files into every running container of the service (tar stream,
                  modes and owners kept), ``rm -rf`` the removed ones via exec
    sync+restart  sync, then restart the service's containers
    sync+exec     sync, then run the rule's exec hook once per batch in every container
    restart       restart the service's containers
    rebuild       build only that service, force-recreate it (anonymous volumes kept), start
                  it and its dependents, prune the old image when it became dangling

Every function reports through ``log(text)``; engine errors of one container are logged and
the watch goes on (as Docker Compose does).
"""
from __future__ import annotations

import os
import shlex
from typing import Callable, Optional

from engine.errors import EngineError

Log = Callable[[str], None]


def service_containers(engine, project, service: str, running_only: bool = True) -> list:
    from compose import labels as L
    found = engine.containers.list(all=not running_only, filters=L.project_filter(
        project.name, f"{L.SERVICE}={service}", f"{L.ONEOFF}=False"))
    return sorted(found, key=lambda c: c.name)


def _top_level(paths: list[str]) -> list[str]:
    """Drop paths inside another path of the list (a copied directory brings its content)."""
    out: list[str] = []
    for p in sorted(set(paths)):
        if not any(p.startswith(d.rstrip("/") + "/") for d in out):
            out.append(p)
    return out


def _exec(engine, cid: str, cmd, log: Optional[Log] = None, **spec_kw) -> int:
    from engine.types import ExecSpec
    chunks: list[bytes] = []
    code = engine.containers.exec(cid, ExecSpec(cmd=tuple(cmd), **spec_kw),
                                  stdout=chunks.append, stderr=chunks.append)
    if log is not None:
        for line in b"".join(chunks).decode(errors="replace").splitlines():
            log(line)
    return code


def sync_files(engine, project, target, paths: list[str], log: Log) -> int:
    """Copy / delete ``paths`` (host paths matched by ``target``) in every running container
    of the service. Returns the number of containers updated."""
    present = _top_level([p for p in paths if os.path.lexists(p)])
    removed = _top_level([p for p in paths if not os.path.lexists(p)])
    # the rule root itself: a directory root brings nothing by itself (its files have events)
    copies = [p for p in present if not (p == target.path and os.path.isdir(p))]
    if not copies and not removed:
        return 0
    log(f'Syncing service "{target.service}" after {len(copies) + len(removed)} changes were detected')
    done = 0
    for c in service_containers(engine, project, target.service):
        try:
            _sync_one(engine, c.id, target, copies, removed)
            done += 1
        except EngineError as e:
            log(f"failed to sync {target.service} ({c.name}): {e}")
    return done


def _sync_one(engine, cid: str, target, copies: list[str], removed: list[str]) -> None:
    if removed:
        _exec(engine, cid, ["rm", "-rf", *[target.container_path(p) for p in removed]])
    if not copies:
        return
    dests = [(p, os.path.dirname(target.container_path(p).rstrip("/")) or "/") for p in copies]
    _exec(engine, cid, ["mkdir", "-p", *sorted({d for _, d in dests})])
    for host, parent in dests:
        cpath = target.container_path(host)
        if os.path.basename(host) == os.path.basename(cpath.rstrip("/")):
            engine.containers.copy_to(cid, host, parent)      # into the directory, same name
        else:
            engine.containers.copy_to(cid, host, cpath)       # a renamed single-file rule


def restart_service(engine, project, service: str, log: Log, timeout: Optional[float] = None) -> None:
    log(f'Restarting service "{service}" after changes were detected')
    for c in service_containers(engine, project, service, running_only=False):
        try:
            engine.containers.restart(c.id, timeout=timeout)
        except EngineError as e:
            log(f"failed to restart {c.name}: {e}")


def exec_spec_args(hook: dict) -> tuple[list[str], dict]:
    """(argv, ExecSpec keyword arguments) of a develop.watch ``exec`` hook."""
    command = hook.get("command")
    argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command or ()]
    env = hook.get("environment") or {}
    if isinstance(env, (list, tuple)):
        env = dict(str(e).split("=", 1) if "=" in str(e) else (str(e), "") for e in env)
    kw = {"env": {str(k): "" if v is None else str(v) for k, v in env.items()},
          "user": str(hook.get("user") or ""), "working_dir": str(hook.get("working_dir") or ""),
          "privileged": bool(hook.get("privileged", False))}
    return argv, kw


def exec_hook(engine, project, target, log: Log) -> None:
    argv, kw = exec_spec_args(target.exec or {})
    for c in service_containers(engine, project, target.service):
        try:
            code = _exec(engine, c.id, argv, log, **kw)
        except EngineError as e:
            log(f"exec hook failed in {c.name}: {e}")
            continue
        if code != 0:
            log(f"exec hook in {c.name} exited with code {code}")


def _image_id(engine, ref: str) -> Optional[str]:
    try:
        return engine.images.inspect(ref).id
    except EngineError:
        return None


def dependents(project, service: str) -> list[str]:
    return [n for n, s in project.services.items() if service in s.dependencies()]


def rebuild_service(engine, project, service: str, log: Log, *, prune: bool = True,
                    quiet: bool = False, on_event=None) -> bool:
    """Build, recreate and restart ``service``; False (logged) when the build failed."""
    from compose.build_project import build_services
    from compose.convert import image_ref
    from compose.errors import ComposeError
    from compose.project_ops.up import converge
    from compose.reconcile import UpOptions
    log(f'Rebuilding service(s) ["{service}"] after changes were detected...')
    ref = image_ref(project, project.services[service])
    old_id = _image_id(engine, ref)
    try:
        build_services(project, engine, [service], None, None if quiet else on_event)
    except (ComposeError, EngineError) as e:
        log(f"Build failed: {e}")
        return False
    log(f'service(s) ["{service}"] successfully built')
    converge(engine, project, UpOptions(services=(service,), no_deps=True, recreate="force"),
             on_event=on_event)
    deps = dependents(project, service)
    if deps:
        converge(engine, project, UpOptions(services=tuple(deps), no_deps=True), on_event=on_event)
    if prune and old_id and old_id != _image_id(engine, ref):
        _prune_old(engine, old_id)
    return True


def _prune_old(engine, image_id: str) -> None:
    """Remove the previous image when nothing tags it and no container uses it."""
    try:
        info = engine.images.inspect(image_id)
        if info.repo_tags:
            return
        if any(c.image_id == image_id for c in engine.containers.list(all=True)):
            return
        engine.images.remove(image_id)
    except EngineError:
        pass
