"""Watch rules of a loaded project: validation, ignores and path -> container path mapping.

Ignored (Docker Compose pkg/watch): the build context's .dockerignore (the builder's own
matcher, engine/build/dockerignore.py), any ``.git`` directory, editor temp files (GoLand
``___jb_*``, vim swap / ``4913`` / ``*~``, emacs ``.#*`` / ``#*#``, kate swap, Windows ``~$*``),
and the rule's ``ignore`` patterns (dockerignore syntax, relative to the rule's path).
``include`` patterns, when given, restrict the rule to matching paths.
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from compose.errors import ConfigError, UsageError

SYNC_ACTIONS = ("sync", "sync+restart", "sync+exec")
ACTIONS = SYNC_ACTIONS + ("restart", "rebuild")

# basenames of editor / tool temp files (fnmatch syntax)
EPHEMERAL_NAMES = (
    "*___jb_old___", "*___jb_tmp___",                  # GoLand / JetBrains safe write
    "4913", "*~", "*.swp", "*.swx", "*.swo", "*.swn",  # vim
    ".#*", "#*#",                                      # emacs
    "*.kate-swp",                                      # kate
    "~$*",                                             # windows office
)


def is_ephemeral(path: str) -> bool:
    """True for editor temp files and anything inside a ``.git`` directory."""
    parts = Path(path).parts
    if ".git" in parts:
        return True
    name = parts[-1] if parts else ""
    return any(fnmatch.fnmatchcase(name, pat) for pat in EPHEMERAL_NAMES)


def _matcher(patterns):
    from engine.build.dockerignore import Matcher, read_patterns
    return Matcher(read_patterns("\n".join(str(p) for p in patterns)))


def _relative(path: str, base: str) -> Optional[str]:
    """``path`` relative to ``base`` ("." for base itself), None when outside it."""
    try:
        rel = os.path.relpath(path, base)
    except ValueError:
        return None
    if rel == ".." or rel.startswith("../"):
        return None
    return rel


@dataclass
class WatchTarget:
    """One develop.watch rule of one service, ready to match host paths."""
    service: str
    action: str
    path: str                              # absolute host path
    target: Optional[str] = None           # container path (sync actions)
    exec: Optional[dict] = None
    initial_sync: bool = False
    context: Optional[str] = None          # build context dir (its .dockerignore applies)
    ignore: object = None                  # dockerignore Matcher of the rule's ignore
    include: object = None                 # Matcher of include patterns, None = everything
    context_ignore: object = None          # Matcher of the context's .dockerignore
    extra: dict = field(default_factory=dict)

    def matches(self, path: str) -> bool:
        """Whether a change of host ``path`` triggers this rule."""
        rel = _relative(path, self.path)
        if rel is None or is_ephemeral(rel if rel != "." else os.path.basename(path)):
            return False
        if rel != ".":
            if self.ignore is not None and self.ignore.matches(rel):
                return False
            if self.include is not None and not self.include.matches(rel):
                return False
        if self.context_ignore is not None and self.context:
            crel = _relative(path, self.context)
            if crel not in (None, ".") and self.context_ignore.matches(crel):
                return False
        return True

    def container_path(self, path: str) -> str:
        rel = _relative(path, self.path)
        if rel in (None, "."):
            return self.target
        return self.target.rstrip("/") + "/" + rel


def _bind_mounted(path: str, service) -> bool:
    """The rule's path is under (or is) a bind mount source of the service."""
    for vol in service.volumes or ():
        if getattr(vol, "type", "") == "bind" and vol.source:
            if _relative(path, os.path.abspath(vol.source)) is not None:
                return True
    return False


def validate_rule(name: str, service, rule) -> None:
    if rule.action not in ACTIONS:
        raise ConfigError(f"services.{name}.develop.watch: invalid action {rule.action!r} "
                          f"(expected one of {', '.join(ACTIONS)})")
    if rule.action == "rebuild" and service.build is None:
        raise ConfigError(f"service {name} uses watch action rebuild but has no build section")
    if rule.action != "rebuild" and not rule.target:
        raise ConfigError(f"services.{name}.develop.watch: target is required for non-rebuild actions")
    if rule.action == "sync+exec" and not (rule.exec or {}).get("command"):
        raise ConfigError(f"services.{name}.develop.watch: sync+exec requires exec.command")


def _context_of(service) -> tuple[Optional[str], object]:
    build = service.build
    if build is None or "://" in str(build.context) or str(build.context).startswith("git@"):
        return None, None
    from engine.build.dockerignore import load_matcher
    context = Path(build.context)
    dockerfile = context / build.dockerfile if build.dockerfile else context / "Dockerfile"
    return str(context), load_matcher(context, dockerfile)


def load_targets(project, services=(), warn: Callable[[str], None] = lambda m: None) -> list[WatchTarget]:
    """Every watch rule of the selected services (all when empty). Raises UsageError when
    none of them has a develop.watch section (Docker Compose's message)."""
    names = list(services) or list(project.services)
    targets: list[WatchTarget] = []
    for name in names:
        svc = project.services[name]
        rules = svc.develop.watch if svc.develop else ()
        context, context_ignore = _context_of(svc) if rules else (None, None)
        for rule in rules:
            validate_rule(name, svc, rule)
            path = os.path.abspath(rule.path)
            if rule.action in SYNC_ACTIONS and _bind_mounted(path, svc):
                warn(f"path '{rule.path}' also declared by a bind mount volume, "
                     "this path won't be monitored!")
                continue
            targets.append(WatchTarget(
                service=name, action=rule.action, path=path, target=rule.target,
                exec=rule.exec, initial_sync=rule.initial_sync, context=context,
                ignore=_matcher(rule.ignore) if rule.ignore else None,
                include=_matcher(rule.include) if rule.include else None,
                context_ignore=context_ignore))
    if not any(svc.develop and svc.develop.watch for svc in (project.services[n] for n in names)):
        raise UsageError("none of the selected services is configured for watch, "
                         "consider setting a 'develop' section")
    return targets
