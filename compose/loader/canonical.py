"""Short syntax -> long syntax, per file, before merging (compose-go transform.Canonical).

After this phase every service attribute has one shape, so merge rules can work by key:
environment/labels/annotations/sysctls/build.args are dicts, depends_on/networks are dicts,
ports/volumes/devices/secrets/configs/env_file are lists of dicts, extra_hosts is
{host: [ip, ...]}, build is a dict. Values keep their YAML types here; type coercion and
defaults happen in normalize.py after the merge.
"""
from __future__ import annotations

from typing import Any

from compose.errors import ConfigError, Issue

from . import shortsyntax as ss
from .yamlread import Reset


def _unwrap(value: Any):
    """(inner value, wrapper class or None) for !reset / !override tagged values."""
    if isinstance(value, Reset):
        return value.value, type(value)
    return value, None


def _rewrap(value: Any, wrapper):
    return wrapper(value) if wrapper is not None else value


def _listify(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _environment(value: Any) -> dict:
    if isinstance(value, list):
        for item in value:
            key = ss.scalar_str(item).split("=", 1)[0]
            if key != key.rstrip():
                raise ConfigError(f"environment variable {key} is declared with a trailing space")
    return ss.key_value_list(value)


def _depends_on(value: Any) -> dict:
    if isinstance(value, list):
        return {ss.scalar_str(n): {"condition": "service_started", "required": True} for n in value}
    out = {}
    for name, dep in (value or {}).items():
        dep = dict(dep or {})
        dep.setdefault("condition", "service_started")
        dep.setdefault("required", True)
        out[name] = dep
    return out


def _env_files(value: Any) -> list:
    out = []
    for item in _listify(value):
        if isinstance(item, dict):
            entry = dict(item)
            entry.setdefault("required", True)
            out.append(entry)
        else:
            out.append({"path": ss.scalar_str(item), "required": True})
    return out


def _file_refs(value: Any, secret: bool) -> list:
    out = []
    for item in _listify(value):
        if isinstance(item, dict):
            out.append(dict(item))
        else:
            out.append({"source": ss.scalar_str(item)})
    return out


def _volumes(value: Any) -> list:
    out = []
    for item in _listify(value):
        if isinstance(item, dict):
            entry = dict(item)
            if entry.get("type") == "bind" and isinstance(entry.get("bind"), dict):
                entry["bind"] = dict(entry["bind"])
                entry["bind"].setdefault("create_host_path", True)
            out.append(entry)
        else:
            out.append(ss.parse_volume(ss.scalar_str(item)))
    return out


def _ports(value: Any) -> list:
    out = []
    for item in _listify(value):
        if isinstance(item, dict):
            out.append(ss.long_port(item))
        else:
            out.extend(ss.parse_port(item))
    return out


def _nested(build: dict, key: str, fn) -> None:
    """Apply fn to build[key], keeping a !reset / !override wrapper around the result."""
    inner, wrapper = _unwrap(build[key])
    if inner is not None:
        build[key] = _rewrap(fn(inner), wrapper)


def _build(value: Any) -> dict:
    if not isinstance(value, dict):
        return {"context": ss.scalar_str(value)}
    build = dict(value)
    for key, fn in (("args", ss.key_value_list), ("labels", lambda v: ss.key_value_list(v, bare="")),
                    ("additional_contexts", ss.key_value_list), ("extra_hosts", ss.extra_hosts),
                    ("secrets", lambda v: _file_refs(v, True))):
        if key in build:
            _nested(build, key, fn)
    for key in ("cache_from", "cache_to", "tags", "platforms", "ssh"):
        if key in build and not isinstance(build[key], (list, dict, Reset)):
            build[key] = [build[key]]
    return build


_TRANSFORMS = {
    "build": _build,
    "depends_on": _depends_on,
    "env_file": _env_files,
    "environment": lambda v: _environment(v),
    "labels": lambda v: ss.key_value_list(v, bare=""),
    "annotations": lambda v: ss.key_value_list(v, bare=""),
    "sysctls": lambda v: ss.key_value_list(v, bare=""),
    "extra_hosts": ss.extra_hosts,
    "networks": lambda v: {ss.scalar_str(n): None for n in v} if isinstance(v, list) else dict(v or {}),
    "ports": _ports,
    "volumes": _volumes,
    "devices": lambda v: [d if isinstance(d, dict) else ss.parse_device(ss.scalar_str(d)) for d in _listify(v)],
    "secrets": lambda v: _file_refs(v, True),
    "configs": lambda v: _file_refs(v, False),
    "extends": lambda v: v if isinstance(v, dict) else {"service": ss.scalar_str(v)},
    "dns": lambda v: [ss.scalar_str(x) for x in _listify(v)],
    "dns_search": lambda v: [ss.scalar_str(x) for x in _listify(v)],
    "tmpfs": lambda v: [ss.scalar_str(x) for x in _listify(v)],
    "expose": lambda v: [ss.scalar_str(x) for x in _listify(v)],
    "label_file": _listify,
}


def _deploy(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    out = dict(value)
    if "labels" in out and out["labels"] is not None:
        out["labels"] = ss.key_value_list(out["labels"], bare="")
    return out


def _gpus(value: Any) -> Any:
    if value == "all":
        return [{"count": -1}]
    return value


_TRANSFORMS["deploy"] = _deploy
_TRANSFORMS["gpus"] = _gpus


def _raw_build(value: Any) -> dict:
    if not isinstance(value, dict):
        return {"context": ss.scalar_str(value)}
    build = dict(value)
    if "secrets" in build:
        build["secrets"] = _file_refs(build["secrets"], True)
    if isinstance(build.get("additional_contexts"), list):
        build["additional_contexts"] = ss.key_value_list(build["additional_contexts"])
    if isinstance(build.get("ssh"), list):
        build["ssh"] = {str(x).split("=", 1)[0]: (str(x).split("=", 1)[1] if "=" in str(x) else None)
                        for x in build["ssh"]}
    return build


# still canonical with --no-interpolate (compose-go transform.Canonical on the raw map)
RAW_MODEL_KEYS = ("depends_on", "extends", "ports", "volumes", "networks", "secrets", "configs",
                  "env_file", "devices")


def canonical_service(service: dict, *, file: str = "", path: str = "", raw: bool = False) -> dict:
    out = {}
    for key, value in service.items():
        inner, wrapper = _unwrap(value)
        fn = _TRANSFORMS.get(key) if not raw or key in RAW_MODEL_KEYS else None
        if raw and key == "build" and inner is not None:
            fn = _raw_build
        if fn is not None and inner is not None:
            try:
                inner = fn(inner)
            except ConfigError as e:
                raise ConfigError([Issue(i.message, file=i.file or file, path=i.path or f"{path}.{key}",
                                         line=i.line) for i in e.issues]) from None
            except (TypeError, AttributeError, ValueError) as e:
                raise ConfigError([Issue(f"invalid value for {key}: {e}", file=file,
                                         path=f"{path}.{key}")]) from None
        out[key] = _rewrap(inner, wrapper)
    return out


def canonical_file(data: dict, *, file: str = "", raw: bool = False) -> dict:
    """Canonicalise one file's top-level dict (services and include entries)."""
    out = dict(data)
    services, wrapper = _unwrap(data.get("services"))
    if isinstance(services, dict):
        new = {}
        for name, svc in services.items():
            inner, w = _unwrap(svc)
            if isinstance(inner, dict):
                inner = canonical_service(inner, file=file, path=f"services.{name}", raw=raw)
            new[name] = _rewrap(inner, w)
        out["services"] = _rewrap(new, wrapper)
    if "include" in data and isinstance(data["include"], list):
        out["include"] = [
            {"path": [item]} if isinstance(item, str) else
            {**item, "path": _listify(item.get("path"))} for item in data["include"]]
    for section in ("networks", "volumes", "secrets", "configs"):
        items = out.get(section)
        if isinstance(items, dict):
            fixed = {}
            for key, value in items.items():
                if isinstance(value, dict) and isinstance(value.get("external"), dict):
                    value = dict(value)
                    ext = value.pop("external")
                    value["external"] = True
                    if ext.get("name") and not value.get("name"):
                        value["name"] = ext["name"]
                fixed[key] = value
            out[section] = fixed
    return out
