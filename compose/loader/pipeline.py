"""The loading pipeline: runs the phases in order (see compose/loader/__init__.py)."""
from __future__ import annotations

import os
import sys
from typing import Optional

from compose.errors import ConfigError, DependencyCycle, Issue

from . import discovery
from .canonical import canonical_file
from .casts import cast_booleans
from .extends import ExtendsResolver, resolve_relative_paths, resolve_top_level_paths
from .interpolate import Interpolator, interpolate_tree
from .merge import duplicate_items, enforce_unicity, merge, strip_resets
from .options import LoadOptions
from .yamlread import Document, read_yaml, strip_tags


class FileLoader:
    """Reads, interpolates, validates and canonicalises files (cached per path)."""

    def __init__(self, opts: LoadOptions, env: dict, project_dir: str) -> None:
        self.opts = opts
        self.env = env
        self.project_dir = project_dir
        self.interp = Interpolator(env, on_unset=self._unset)
        self.docs: dict = {}
        self.cache: dict = {}
        self.stack: list = []
        self.tagged = False          # some file read so far has !reset / !override values
        self.deprecated: dict = {}   # "networks.x" -> conflicts with `name`: uses external.name
        self.external_names: dict = {}   # path -> the same, per file read

    def _unset(self, name: str) -> None:
        self.opts.warn(f'The "{name}" variable is not set. Defaulting to a blank string.')

    def read(self, path: str) -> Document:
        if path in self.docs:
            return self.docs[path]
        if path == discovery.STDIN:
            reader = self.opts.stdin or sys.stdin.read
            text, shown = reader(), "-"
        else:
            shown = path
            try:
                with open(path, "rb") as fh:
                    raw = fh.read()
                text = raw.decode("utf-8-sig")
            except FileNotFoundError:
                raise ConfigError(f"open {path}: no such file or directory") from None
            except IsADirectoryError:
                raise ConfigError(f"read {path}: is a directory") from None
            except PermissionError:
                raise ConfigError(f"open {path}: permission denied") from None
            except UnicodeDecodeError as e:
                raise ConfigError(f"{path}: file is not valid UTF-8 ({e.reason})") from None
            except OSError as e:
                raise ConfigError(f"{path}: {e.strerror or e}") from None
        doc = read_yaml(text, shown)
        self.tagged = self.tagged or doc.tagged
        self.docs[path] = doc
        return doc

    def load(self, path: str) -> dict:
        """Interpolated, validated, canonical dict of one file (extends/include not applied)."""
        if path in self.cache:
            return self.cache[path]
        doc = self.read(path)
        if not doc.data and not doc.more:
            raise ConfigError([Issue("empty compose file", file=doc.file)])
        from .validate import validate
        result: dict = {}
        for data in [doc.data] + list(doc.more):
            if self.opts.interpolate:
                data = interpolate_tree(data, self.interp, file=doc.file, lines=doc.line)
                cast_booleans(data, self.opts.warn)
            self._note_external_names(path, data)
            validate(strip_tags(data) if doc.tagged else data, file=doc.file, line_of=doc.line)
            data = canonical_file(data, file=doc.file, raw=not self.opts.interpolate)
            result = merge(result, data, raw=not self.opts.interpolate) if result else data
        self.cache[path] = result
        return result

    def _note_external_names(self, path: str, data: dict) -> None:
        """Remember resources of ``path`` that use external.name (warned for the files of the
        project and their includes, not for files that only lend services to extends)."""
        found = self.external_names.setdefault(path, {})
        for section in ("networks", "volumes", "secrets", "configs"):
            items = data.get(section)
            if isinstance(items, dict):
                for key, value in items.items():
                    if isinstance(value, dict) and isinstance(value.get("external"), dict) \
                            and "name" in value["external"]:
                        conflict = "name" in value and value["name"] != value["external"]["name"]
                        where = f"{section}.{key}"
                        found[where] = found.get(where) or conflict

    def warn_deprecations(self) -> None:
        """Docker Compose's deprecation warnings that come after loading every file (and the
        error for an external.name that contradicts ``name``)."""
        for where in self.deprecated:
            self.opts.warn(f"{where}: external.name is deprecated. Please set name and external: true")
        for where, conflict in self.deprecated.items():
            if conflict:
                raise ConfigError(f"{where}: name and external.name conflict; only use name")

    def load_resolved(self, path: str) -> dict:
        """One file with its include entries and extends applied."""
        if path in self.stack:
            trail = self.stack[self.stack.index(path):] + [path]
            raise DependencyCycle(trail, what="include cycle detected")
        self.stack.append(path)
        try:
            data = dict(self.load(path))
            if data.get("include"):
                from .include import apply_include
                data = apply_include(data, self, path)
            for where, conflict in self.external_names.get(path, {}).items():
                self.deprecated[where] = self.deprecated.get(where) or conflict
            doc = self.read(path)
            if any(isinstance(d, dict) and "version" in d for d in [doc.data, *doc.more]):
                self.opts.warn(f"{doc.file}: the attribute `version` is obsolete, it will be ignored, "
                               "please remove it to avoid potential confusion")
            services = data.get("services")
            if isinstance(services, dict):
                resolver = ExtendsResolver(services, file=self.read(path).file,
                                           base_dir=self.project_dir, home=self.env.get("HOME"),
                                           load_file=self._load_for_extends,
                                           raw=not self.opts.interpolate)
                data["services"] = resolver.resolve_all()
            return data
        finally:
            self.stack.pop()

    def _load_for_extends(self, path: str) -> dict:
        if not os.path.exists(path):
            raise ConfigError(f"open {path}: no such file or directory")
        return self.load(path)


def merge_files(loader: FileLoader, files: list) -> dict:
    merged: dict = {}
    for path in files:
        merged = merge(merged, loader.load_resolved(path), raw=not loader.opts.interpolate)
    if loader.tagged:
        merged = strip_resets(merged)
    if isinstance(merged.get("services"), dict):
        merged["services"] = {k: enforce_unicity(v) if isinstance(v, dict) else v
                              for k, v in merged["services"].items()}
        problems = [p for k, v in merged["services"].items() if isinstance(v, dict)
                    for p in duplicate_items(k, v)]
        if problems:
            shown = loader.read(files[-1]).file if files else ""
            raise ConfigError([Issue(p, file=shown) for p in problems])
    merged.pop("include", None)
    merged.pop("version", None)
    if loader.opts.resolve_paths:
        home = loader.env.get("HOME")
        services = merged.get("services")
        if isinstance(services, dict):
            merged["services"] = {k: resolve_relative_paths(v, loader.project_dir, home)
                                  if isinstance(v, dict) else v for k, v in services.items()}
        merged = resolve_top_level_paths(merged, loader.project_dir, home)
    return merged


def _name_from_files(loader: FileLoader, files: list) -> list:
    names = []
    for path in files:
        doc = loader.read(path)
        raw = doc.data.get("name")
        if isinstance(raw, str) and loader.opts.interpolate:
            raw = interpolate_tree({"name": raw}, Interpolator(loader.env), file=doc.file,
                                   lines=doc.line)["name"]
        names.append(raw)
    return names


def load_config(opts: LoadOptions):
    """-> LoadedConfig (plain dicts; compose.model is not imported)."""
    ctx = discovery.resolve(opts)
    env = dict(ctx.environment)
    loader = FileLoader(opts, env, ctx.project_dir)
    name = discovery.project_name(ctx, _name_from_files(loader, ctx.files))
    env.setdefault("COMPOSE_PROJECT_NAME", name)
    merged = merge_files(loader, ctx.files)
    loader.warn_deprecations()
    from .project_norm import finish
    return finish(merged, name=name, ctx=ctx, opts=opts, env=env, interp=loader.interp)


def load_project(opts: LoadOptions):
    """-> compose.model.Project."""
    return load_config(opts).bind()
