"""LoadOptions: everything the loader needs from the command line and the environment."""
from __future__ import annotations

import os
from engine.records import field, record

TYPE_CHECKING = False                   # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Callable


@record
class LoadOptions:
    files: list = field(default_factory=list)        # -f (repeatable; "-" = stdin); [] = discover
    project_name: str | None = None               # -p (validated, not normalised)
    project_directory: str | None = None          # --project-directory
    env_files: list = field(default_factory=list)    # --env-file (repeatable, relative to cwd)
    profiles: list = field(default_factory=list)     # --profile (repeatable)
    services: list = field(default_factory=list)     # services named on the command line
    interpolate: bool = True                         # False = --no-interpolate
    normalize: bool = True                           # False = --no-normalize
    resolve_paths: bool = True                       # False = --no-path-resolution
    resolve_env_files: bool = True                   # False = --no-env-resolution
    consistency: bool = True                         # False = --no-consistency
    environ: dict | None = None                   # OS environment (default os.environ)
    cwd: str | None = None                        # default os.getcwd()
    stdin: Callable[[], str] | None = None        # reader for "-" (default sys.stdin.read)
    drop_unused_resources: bool = True               # networks/volumes/... no active service uses
    on_warning: Callable[[str], None] | None = None  # warnings (unset variables, ...)

    def os_environ(self) -> dict:
        return dict(os.environ if self.environ is None else self.environ)

    def workdir(self) -> str:
        try:
            return os.path.abspath(self.cwd or os.getcwd())
        except OSError as e:
            from compose.errors import ComposeError
            raise ComposeError(f"cannot use the current directory: {e.strerror}") from None

    def warn(self, message: str) -> None:
        if self.on_warning is not None:
            self.on_warning(message)
