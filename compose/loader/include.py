"""``include``: load other compose projects with their own project directory and .env, and add
their services/networks/volumes/secrets/configs to the including file.

Paths of an include entry are relative to the including file's directory. The included
project's directory is ``project_directory`` or the directory of its first file; its
environment is its ``env_file`` (or its directory's ``.env``) overridden by the including
project's environment. Relative paths inside it resolve against its own directory.
A resource defined both locally and by an include is an error; include cycles are reported.
"""
from __future__ import annotations

import os

from compose.errors import ConfigError

from .dotenv import read_env_file
from .extends import resolve_relative_paths, resolve_top_level_paths
from .normalize import abs_path
from .yamlread import Reset

_SECTIONS = ("services", "networks", "volumes", "secrets", "configs", "models")


def _included_env(entry: dict, base_dir: str, project_dir: str, parent_env: dict, home) -> dict:
    env_files = entry.get("env_file")
    env_files = [env_files] if isinstance(env_files, str) else list(env_files or [])
    paths = [abs_path(str(p), base_dir, home) for p in env_files]
    if not paths and os.path.isfile(os.path.join(project_dir, ".env")):
        paths = [os.path.join(project_dir, ".env")]
    from_files: dict = {}
    for p in paths:
        from_files.update(read_env_file(p, lookup={**from_files, **parent_env}))
    env = dict(parent_env)
    for k, v in from_files.items():
        env.setdefault(k, v)
    return env


def apply_include(data: dict, loader, path: str) -> dict:
    from .pipeline import FileLoader, merge_files
    base_dir = os.path.dirname(path) if path != "-" else loader.project_dir
    home = loader.env.get("HOME")
    out = {k: v for k, v in data.items() if k != "include"}
    for entry in data.get("include") or []:
        files = [abs_path(str(p), base_dir, home) for p in entry.get("path") or []]
        if not files:
            continue
        for f in files:
            if not os.path.exists(f):
                raise ConfigError(f"open {f}: no such file or directory", file=loader.read(path).file)
        project_dir = (abs_path(str(entry["project_directory"]), base_dir, home)
                       if entry.get("project_directory") else os.path.dirname(files[0]))
        env = _included_env(entry, base_dir, project_dir, loader.env, home)
        sub = FileLoader(loader.opts, env, project_dir)
        sub.stack = list(loader.stack)
        sub.deprecated = loader.deprecated       # warned once, after every file is loaded
        included = merge_files(sub, files) if loader.opts.resolve_paths else merge_files(sub, files)
        included = _resolve_paths(included, project_dir, home)
        for section in _SECTIONS:
            items = included.get(section)
            if not isinstance(items, dict):
                continue
            target = out.get(section)
            target = dict(target) if isinstance(target, dict) and not isinstance(target, Reset) else {}
            for key, value in items.items():
                if key in target:
                    raise ConfigError(f"{section}.{key} conflicts with imported resource",
                                      file=loader.read(path).file, path=f"{section}.{key}")
                target[key] = value
            out[section] = target
    return out


def _resolve_paths(data: dict, project_dir: str, home) -> dict:
    services = data.get("services")
    if isinstance(services, dict):
        data = dict(data, services={k: resolve_relative_paths(v, project_dir, home)
                                    if isinstance(v, dict) else v for k, v in services.items()})
    return resolve_top_level_paths(data, project_dir, home)
