"""The compose loader: files on disk -> canonical dict -> compose.model.Project.

Entry point::

    from compose.loader import LoadOptions, load_project
    project = load_project(LoadOptions(files=["compose.yaml"], profiles=["dev"]))

Phases (one module each, run in this order by ``compose.loader.pipeline``):

    discovery   which files, which project directory, which project name (§5.1, §5.6)
    dotenv      .env / --env-file / COMPOSE_ENV_FILES -> the interpolation environment
    yamlread    YAML text -> plain data + a line for every dotted key path, !reset/!override
    interpolate ${VAR...} forms in values (never keys)
    validate    JSON Schema (schemas/compose-spec.json) -> Issues with did-you-mean
    include     include: entries (own project dir and env)
    extends     service extends (same file, other file, chains, cycles)
    merge       several -f files (compose-go merge rules, §5.5)
    canonical   short -> long syntax, defaults as Docker Compose fills them, paths (§5.6)
    profiles    active services (§5.8a)
    checks      semantic checks (§5.15)
    bind        canonical dict -> frozen dataclasses (compose.model); ``load_config`` stops
                before it (LoadedConfig, plain dicts: what ``pycompose config`` prints)

Every user mistake is raised as compose.errors.ConfigError (issues with file/path/line) or
another ComposeError; nothing else escapes for bad input.
"""
from __future__ import annotations

from .options import LoadOptions

__all__ = ["LoadOptions", "load_project", "load_config", "load_config_dict"]


def load_project(opts: LoadOptions):
    """Load, validate and normalise a project -> compose.model.Project."""
    from .pipeline import load_project as _load
    return _load(opts)


def load_config(opts: LoadOptions):
    """Load, validate and normalise -> LoadedConfig (plain dicts, compose.model not imported)."""
    from .pipeline import load_config as _load
    return _load(opts)


def load_config_dict(opts: LoadOptions) -> dict:
    """The canonical dict only (what ``config --format json`` prints)."""
    from .merge import copy_data
    return copy_data(load_config(opts).config)
