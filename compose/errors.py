"""The compose package's one error tree.

    ComposeError                     base; ``str(e)`` is a complete, user-facing message
    ├── ConfigError                  the project files are wrong; carries ``issues``
    │                                (each: file, dotted key path, line, message)
    │   └── DependencyCycle          depends_on / extends / include cycle; carries ``trail``
    ├── ProjectNotFound              no compose file found / no such project
    ├── UsageError                   incompatible flags or bad command-line values
    └── OperationFailed              up/down/run/... failed against the engine (wraps EngineError)

Library code raises these; only the CLI prints them and picks exit codes.
"""
from __future__ import annotations

from engine.records import record

TYPE_CHECKING = False                   # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Sequence


class ComposeError(Exception):
    exit_code = 1


@record(frozen=True)
class Issue:
    """One problem found in a project file."""

    message: str
    file: str = ""
    path: str = ""          # dotted key path, e.g. "services.web.ports[0]"
    line: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        parts = [p for p in (where, self.path) if p]
        return (", ".join(parts) + ": " if parts else "") + self.message


class ConfigError(ComposeError):
    def __init__(self, issues: "Sequence[Issue] | str", *, file: str = "", path: str = "",
                 line: int | None = None) -> None:
        if isinstance(issues, str):
            issues = [Issue(issues, file=file, path=path, line=line)]
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class DependencyCycle(ConfigError):
    def __init__(self, trail: Sequence[str], what: str = "dependency cycle detected") -> None:
        self.trail = list(trail)
        super().__init__(f"{what}: {' -> '.join(self.trail)}")


class ProjectNotFound(ComposeError):
    pass


class UsageError(ComposeError):
    exit_code = 1


class OperationFailed(ComposeError):
    pass
