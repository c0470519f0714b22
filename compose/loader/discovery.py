"""Which files, which project directory, which environment, which project name (§5.1, §5.6).

    ctx = resolve(opts)   # -> Context(files, project_dir, environment, env_files, ...)

* Files: ``-f`` (repeatable, ``-`` = stdin) > ``COMPOSE_FILE`` (split on
  ``COMPOSE_PATH_SEPARATOR``, default ``:``) > discovery of compose.yaml / compose.yml /
  docker-compose.yml / docker-compose.yaml plus one override file, walking up parents.
* Project directory: ``--project-directory`` > directory of the first file > cwd.
* Environment: OS env, plus ``--env-file``s (relative to cwd) or ``COMPOSE_ENV_FILES`` or
  ``<project dir>/.env``; the OS environment always wins. When files were discovered, the
  cwd's ``.env`` is read first (it may set COMPOSE_FILE / COMPOSE_PROJECT_NAME).
* Project name: ``-p`` > ``COMPOSE_PROJECT_NAME`` (both validated) > ``name:`` (normalised,
  decided after the files are read) > basename of the project directory (normalised).
"""
from __future__ import annotations

import os
import re
from engine.records import field, record
from typing import Optional

from compose.errors import ConfigError, ProjectNotFound, UsageError

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILES = ("compose.override.yml", "compose.override.yaml",
                  "docker-compose.override.yml", "docker-compose.override.yaml")
_VALID_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
STDIN = "-"


@record
class Context:
    files: list                       # absolute paths, or "-" for stdin
    project_dir: str
    environment: dict                 # interpolation environment (OS env wins over .env)
    env_files: list = field(default_factory=list)   # env files actually read
    cli_name: Optional[str] = None    # -p or COMPOSE_PROJECT_NAME (validated)
    profiles: list = field(default_factory=list)
    discovered: bool = False


def normalize_project_name(name: str) -> str:
    """Lowercase, keep only [a-z0-9_-], trim leading '_' and '-' (compose-go)."""
    name = re.sub(r"[^a-z0-9_-]", "", name.lower())
    return name.lstrip("_-")


def validate_project_name(name: str) -> str:
    if not _VALID_NAME.match(name):
        raise UsageError(f'invalid project name "{name}": must consist only of lowercase '
                         "alphanumeric characters, hyphens, and underscores as well as start "
                         "with a letter or number")
    return name


def find_default_files(start: str, warn=None) -> list:
    """compose file (+ one override) in ``start`` or the nearest parent that has one."""
    directory = os.path.abspath(start)
    while True:
        found = [n for n in DEFAULT_FILES if os.path.isfile(os.path.join(directory, n))]
        if found:
            files = [os.path.join(directory, found[0])]
            if len(found) > 1 and warn is not None:
                warn("Found multiple config files with supported names: "
                     + ", ".join(os.path.join(directory, n) for n in found))
                warn(f"Using {files[0]}")
            overrides = [n for n in OVERRIDE_FILES if os.path.isfile(os.path.join(directory, n))]
            if len(overrides) > 1 and warn is not None:
                paths = [os.path.join(directory, n) for n in overrides]
                warn("Found multiple override files with supported names: " + ", ".join(paths))
                warn(f"Using {paths[0]}")
            if overrides:
                files.append(os.path.join(directory, overrides[0]))
            return files
        parent = os.path.dirname(directory)
        if parent == directory:
            return []
        directory = parent


def _abs(path: str, base: str) -> str:
    path = os.path.expanduser(path)
    return path if os.path.isabs(path) else os.path.normpath(os.path.join(base, path))


def _read_dotenv(path: str, lookup: dict) -> dict:
    from .dotenv import read_env_file
    return read_env_file(path, lookup=lookup, required=True)


def resolve(opts) -> Context:
    cwd = opts.workdir()
    os_env = opts.os_environ()
    environment = dict(os_env)
    environment.setdefault("PWD", cwd)
    discovered = not opts.files and not os_env.get("COMPOSE_FILE")
    pre_env_files: list = []
    if discovered and not opts.env_files:
        start_env = os.path.join(_abs(opts.project_directory, cwd) if opts.project_directory else cwd, ".env")
        if os.path.isfile(start_env):
            for k, v in _read_dotenv(start_env, os_env).items():
                environment.setdefault(k, v)
            pre_env_files.append(start_env)
    files = _config_files(opts, cwd, environment)
    project_dir = _project_dir(opts, cwd, files)
    env_files = _env_file_paths(opts, cwd, project_dir, environment)
    from_files: dict = {}
    for path in env_files:
        if path in pre_env_files:
            continue
        from_files.update(_read_dotenv(path, {**from_files, **os_env}))
    for k, v in from_files.items():
        environment.setdefault(k, v)
    cli_name = opts.project_name
    if cli_name is not None:
        validate_project_name(cli_name)
    elif environment.get("COMPOSE_PROJECT_NAME"):
        cli_name = validate_project_name(environment["COMPOSE_PROJECT_NAME"])
    profiles = list(opts.profiles)
    if not profiles and environment.get("COMPOSE_PROFILES"):
        profiles = [p.strip() for p in environment["COMPOSE_PROFILES"].split(",") if p.strip()]
    return Context(files=files, project_dir=project_dir, environment=environment,
                   env_files=pre_env_files + [p for p in env_files if p not in pre_env_files],
                   cli_name=cli_name, profiles=profiles, discovered=discovered)


def _config_files(opts, cwd: str, environment: dict) -> list:
    if opts.files:
        names = list(opts.files)
    elif environment.get("COMPOSE_FILE"):
        sep = environment.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
        names = [n for n in environment["COMPOSE_FILE"].split(sep) if n]
    else:
        start = _abs(opts.project_directory, cwd) if opts.project_directory else cwd
        found = find_default_files(start, opts.warn)
        if not found:
            raise ProjectNotFound("no configuration file provided: not found")
        return found
    files = []
    for name in names:
        if name == STDIN:
            files.append(STDIN)
            continue
        path = _abs(name, cwd)
        if not os.path.exists(path):
            raise ProjectNotFound(f"open {path}: no such file or directory")
        if os.path.isdir(path):
            found = find_default_files(path)
            if not found:
                raise ProjectNotFound(f"no configuration file provided in {path}: not found")
            files.append(found[0])
            continue
        files.append(path)
    return files


def _project_dir(opts, cwd: str, files: list) -> str:
    if opts.project_directory:
        return _abs(opts.project_directory, cwd)
    if files and files[0] != STDIN:
        return os.path.dirname(files[0])
    return cwd


def _env_file_paths(opts, cwd: str, project_dir: str, environment: dict) -> list:
    if opts.env_files:
        paths = [_abs(p, cwd) for p in opts.env_files]
        for p in paths:
            if not os.path.exists(p):
                raise ConfigError(f"couldn't find env file: {p}")
        return paths
    if environment.get("COMPOSE_ENV_FILES"):
        return [_abs(p.strip(), cwd) for p in environment["COMPOSE_ENV_FILES"].split(",") if p.strip()]
    default = os.path.join(project_dir, ".env")
    return [default] if os.path.isfile(default) else []


def project_name(ctx: Context, file_names: list) -> str:
    """Final project name: CLI/env > last ``name:`` of the files (normalised) > directory."""
    if ctx.cli_name:
        return ctx.cli_name
    for name in reversed(file_names):
        if name:
            normalized = normalize_project_name(str(name))
            if normalized:
                return normalized
    name = normalize_project_name(os.path.basename(ctx.project_dir.rstrip("/")) or "")
    if not name:
        raise ConfigError("project name must not be empty")
    return name
