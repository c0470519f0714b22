"""LoadedConfig: the loader's result before binding to compose.model.

``pycompose config`` prints plain dicts only, so it stops here and never imports compose.model
(frozen dataclasses, costly to create). ``bind()`` gives the typed Project the rest of pycompose
uses.
"""
from __future__ import annotations


class LoadedConfig:
    """Canonical project dict plus what was learnt while loading it."""
    __slots__ = ("name", "config", "working_dir", "config_files", "environment", "profiles",
                 "env_files", "disabled", "hash_sources", "raw")

    def __init__(self, *, name: str, config: dict, working_dir: str, config_files, environment: dict,
                 profiles, env_files, disabled: dict | None = None,
                 hash_sources: dict | None = None, raw: bool = False) -> None:
        self.name = name
        self.config = config                      # what `config --format json` prints
        self.working_dir = working_dir
        self.config_files = config_files
        self.environment = environment            # the interpolation environment
        self.profiles = profiles                  # active profiles
        self.env_files = env_files
        self.disabled = disabled or {}            # name -> service dict (profile-disabled)
        self.hash_sources = hash_sources or {}
        self.raw = raw                            # --no-interpolate (the raw merged map)

    @property
    def services(self) -> dict:
        return self.config.get("services") or {}

    def bind(self):
        """-> compose.model.Project."""
        from compose.errors import ConfigError
        if self.raw:
            return self._bind_raw()
        from compose.model import Project
        services = self.services
        try:
            return Project.from_dict(
                self.config, working_dir=self.working_dir, config_files=self.config_files,
                environment=self.environment, profiles=self.profiles, disabled=self.disabled,
                env_files=self.env_files,
                hash_sources={k: v for k, v in self.hash_sources.items() if k in services})
        except (ValueError, TypeError) as e:
            raise ConfigError(f"invalid value in project: {e}") from None

    def _bind_raw(self):
        from engine import records as dataclasses  # replace() without importing dataclasses
        from compose.model import Project, Service
        bound = {}
        for sname, svc in self.services.items():
            try:
                bound[sname] = Service.from_dict(sname, svc)
            except (TypeError, ValueError, AttributeError, KeyError):
                bound[sname] = Service(name=sname, raw=svc)
        project = Project.from_dict({"name": self.name}, working_dir=self.working_dir,
                                    config_files=self.config_files, environment=self.environment,
                                    profiles=self.profiles, env_files=self.env_files)
        return dataclasses.replace(project, services=bound, config_dict=self.config)
