"""Global options shared by every command (stored on the typer context as ``ctx.obj``).

A plain class rather than a dataclass: the dataclasses module pulls in inspect/ast
(~15 ms), and every command line builds one of these."""
from __future__ import annotations

_FIELDS = ("files", "project_name", "project_directory", "env_files", "profiles", "parallel",
           "progress", "ansi", "dry_run", "root", "runroot")


class GlobalOptions:
    def __init__(self, files: "list[str] | None" = None,  # -f (repeatable; "-" = stdin)
                 project_name: "str | None" = None,         # -p
                 project_directory: "str | None" = None,    # --project-directory
                 env_files: "list[str] | None" = None,      # --env-file (repeatable)
                 profiles: "list[str] | None" = None,       # --profile (repeatable)
                 parallel: int = -1,                        # --parallel / COMPOSE_PARALLEL_LIMIT
                 progress: str = "auto",                    # auto|tty|plain|json|quiet
                 ansi: str = "auto",                        # never|always|auto
                 dry_run: bool = False,
                 root: "str | None" = None,                 # engine root (--root / PYCOMPOSE_ROOT)
                 runroot: "str | None" = None):             # engine run dir
        self.files = [] if files is None else files
        self.project_name = project_name
        self.project_directory = project_directory
        self.env_files = [] if env_files is None else env_files
        self.profiles = [] if profiles is None else profiles
        self.parallel = parallel
        self.progress = progress
        self.ansi = ansi
        self.dry_run = dry_run
        self.root = root
        self.runroot = runroot

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _FIELDS)

    __hash__ = None

    def __repr__(self) -> str:
        return "GlobalOptions(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in _FIELDS) + ")"

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
