"""Global options shared by every command (stored on the typer context as ``ctx.obj``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class GlobalOptions:
    files: list[str] = field(default_factory=list)          # -f (repeatable; "-" = stdin)
    project_name: Optional[str] = None                      # -p
    project_directory: Optional[str] = None                 # --project-directory
    env_files: list[str] = field(default_factory=list)      # --env-file (repeatable)
    profiles: list[str] = field(default_factory=list)       # --profile (repeatable)
    parallel: int = -1                                      # --parallel / COMPOSE_PARALLEL_LIMIT
    progress: str = "auto"                                  # auto|tty|plain|json|quiet
    ansi: str = "auto"                                      # never|always|auto
    dry_run: bool = False
    root: Optional[str] = None                              # engine root (--root / PYCOMPOSE_ROOT)
    runroot: Optional[str] = None                           # engine run dir

    def engine(self):
        """The engine facade for these options (imported lazily)."""
        from engine.api import Engine
        return Engine(self.root, self.runroot)


def get(ctx) -> GlobalOptions:
    """The GlobalOptions of a typer/click context (walking up to the root)."""
    while ctx is not None:
        if isinstance(ctx.obj, GlobalOptions):
            return ctx.obj
        ctx = ctx.parent
    return GlobalOptions()


def parse_filters(values) -> dict:
    """docker-style ``--filter key=value`` options (repeatable) -> {key: [values]}."""
    from engine.errors import InvalidArgument
    out: dict = {}
    for v in values or []:
        key, eq, val = v.partition("=")
        if not eq:
            raise InvalidArgument(f"bad format of filter (expected name=value): {v}")
        out.setdefault(key, []).append(val)
    return out
