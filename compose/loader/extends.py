"""``extends`` (same file, other file, chains) and relative-path resolution of services.

A service pulled in from another file has its relative paths resolved against that file's
directory before it is merged (§5.6). Circular extends raise DependencyCycle.
"""
from __future__ import annotations

import os
from typing import Callable

from compose.errors import ConfigError, DependencyCycle

from .merge import merge
from .normalize import abs_path, is_local_context, is_remote_context


def resolve_relative_paths(svc: dict, base_dir: str, home: str | None) -> dict:
    """Absolute build context, bind sources, env_file/label_file paths, watch paths."""
    out = dict(svc)
    build = out.get("build")
    if isinstance(build, dict) and "context" in build:
        ctx = str(build["context"])
        if not is_remote_context(ctx):
            out["build"] = dict(build, context=abs_path(ctx, base_dir, home))
    elif isinstance(build, dict):
        out["build"] = dict(build, context=abs_path(".", base_dir, home))
    build = out.get("build")
    if isinstance(build, dict) and isinstance(build.get("additional_contexts"), dict):
        out["build"] = dict(build, additional_contexts={
            k: (abs_path(str(v), base_dir, home) if is_local_context(str(v)) else v)
            for k, v in build["additional_contexts"].items()})
    build = out.get("build")
    if isinstance(build, dict) and isinstance(build.get("ssh"), (list, dict)):
        out["build"] = dict(build, ssh=_ssh_paths(build["ssh"], base_dir, home))
    if isinstance(out.get("volumes"), list):
        vols = []
        for v in out["volumes"]:
            if isinstance(v, dict) and v.get("type") == "bind" and isinstance(v.get("source"), str) \
                    and v["source"]:
                v = dict(v, source=abs_path(v["source"], base_dir, home))
            vols.append(v)
        out["volumes"] = vols
    if isinstance(out.get("env_file"), list):
        out["env_file"] = [dict(e, path=abs_path(str(e["path"]), base_dir, home)) if isinstance(e, dict)
                           else e for e in out["env_file"]]
    if isinstance(out.get("label_file"), list):
        out["label_file"] = [abs_path(str(p), base_dir, home) for p in out["label_file"]]
    dev = out.get("develop")
    if isinstance(dev, dict) and isinstance(dev.get("watch"), list):
        out["develop"] = dict(dev, watch=[dict(w, path=abs_path(str(w.get("path", "")), base_dir, home))
                                          if isinstance(w, dict) else w for w in dev["watch"]])
    return out


def _ssh_paths(ssh, base_dir: str, home: str | None):
    """build.ssh paths (``id=path`` items or mapping values) made absolute."""
    if isinstance(ssh, dict):
        return {k: (abs_path(v, base_dir, home) if isinstance(v, str) else v) for k, v in ssh.items()}
    out = []
    for entry in ssh:
        sid, sep, path = entry.partition("=") if isinstance(entry, str) else ("", "", "")
        out.append(f"{sid}={abs_path(path, base_dir, home)}" if sep else entry)
    return out


def resolve_top_level_paths(data: dict, base_dir: str, home: str | None) -> dict:
    out = dict(data)
    for section in ("secrets", "configs"):
        items = out.get(section)
        if isinstance(items, dict):
            out[section] = {k: (dict(v, file=abs_path(str(v["file"]), base_dir, home))
                                if isinstance(v, dict) and v.get("file") else v)
                            for k, v in items.items()}
    vols = out.get("volumes")
    if isinstance(vols, dict):
        fixed = {}
        for k, v in vols.items():
            opts = v.get("driver_opts") if isinstance(v, dict) else None
            if isinstance(opts, dict) and "bind" in str(opts.get("o", "")).split(",") \
                    and isinstance(opts.get("device"), str):
                v = dict(v, driver_opts=dict(opts, device=abs_path(opts["device"], base_dir, home)))
            fixed[k] = v
        out["volumes"] = fixed
    return out


class ExtendsResolver:
    """Resolves ``extends`` for the services of one file.

    ``load_file(path) -> dict`` returns the canonical, interpolated dict of another file.
    """

    def __init__(self, services: dict, *, file: str, base_dir: str, home: str | None,
                 load_file: Callable[[str], dict], raw: bool = False) -> None:
        self.services = services
        self.raw = raw                      # --no-interpolate: compose-go's raw-map merge rules
        self.file = file
        self.base_dir = base_dir
        self.home = home
        self.load_file = load_file

    def resolve_all(self) -> dict:
        return {name: self.resolve(name, self.services, self.file, []) for name in self.services}

    def resolve(self, name: str, services: dict, file: str, trail: list) -> dict:
        svc = services[name]
        if not isinstance(svc, dict) or not isinstance(svc.get("extends"), dict):
            return svc
        key = (file, name)
        if key in trail:
            names = [n for _, n in trail[trail.index(key):]] + [name]
            raise DependencyCycle(names, what="circular reference with extends")
        ext = svc["extends"]
        base_name = str(ext.get("service", ""))
        ext_file = ext.get("file")
        if ext_file:
            directory = os.path.dirname(file) if file not in ("-", "") else self.base_dir
            path = abs_path(str(ext_file), directory, self.home)
            other = self.load_file(path).get("services") or {}
            if base_name not in other:
                raise ConfigError(f"cannot extend service {name!r} in {file}: service "
                                  f"{base_name!r} not found in {path}")
            base = self.resolve(base_name, other, path, trail + [key])
            base = resolve_relative_paths(base, os.path.dirname(path), self.home)
        else:
            if base_name not in services:
                raise ConfigError(f"cannot extend service {name!r} in {file}: service "
                                  f"{base_name!r} not found")
            base = self.resolve(base_name, services, file, trail + [key])
        base = dict(base)
        base.pop("extends", None)
        local = {k: v for k, v in svc.items() if k != "extends"}
        return merge(base, local, ("services", name), raw=self.raw)
