"""Merge canonical compose dicts (several -f files, extends, include) with the spec's rules.

Rules (compose-go override/merge.go, BEHAVIOUR.md §5.5), by path (``*`` = any name):
* mappings merge recursively, scalars: the later value wins;
* replaced, never merged: command, entrypoint, healthcheck.test;
* sequences merged by a unique key (later entry replaces the earlier one in place): ports,
  volumes/devices (target), secrets/configs (target or source), env_file (path);
* sequences de-duplicated by value: expose, cap_add, cap_drop, dns, dns_search, dns_opt,
  tmpfs, profiles, links, aliases (security_opt, group_add, device_cgroup_rules and
  external_links are appended, and duplicates are then rejected like Docker Compose does);
* other sequences are appended;
* logging.options merge only when both use the same driver (or one has none);
* ``!reset`` removes the value, ``!override`` replaces it without merging.
"""
from __future__ import annotations

from typing import Any, Callable

from .yamlread import Override, Reset

_ATOMS = (str, int, float, bool, type(None))


def copy_data(value: Any) -> Any:
    """A deep copy of YAML-shaped data (dict, list, scalars, !reset/!override wrappers); several
    times faster than copy.deepcopy, which it falls back to for anything else. Values that
    appeared twice (YAML aliases) come out as independent copies."""
    if isinstance(value, _ATOMS):
        return value
    if isinstance(value, dict):
        return {k: copy_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_data(v) for v in value]
    if type(value) in (Reset, Override):
        return type(value)(copy_data(value.value))
    import copy
    return copy.deepcopy(value)


def _port_key(p: dict) -> str:
    return f"{p.get('host_ip', '')}:{p.get('published', '')}:{p.get('target')}/{p.get('protocol', 'tcp')}"


def _file_ref_key(d: dict) -> str:
    return str(d.get("target") or d.get("source"))


UNIQUE_KEYS: dict[str, Callable[[Any], Any]] = {
    "services.*.ports": lambda p: _port_key(p) if isinstance(p, dict) else p,
    "services.*.volumes": lambda v: v.get("target") if isinstance(v, dict) else v,
    "services.*.devices": lambda v: v.get("target") if isinstance(v, dict) else v,
    "services.*.secrets": lambda v: _file_ref_key(v) if isinstance(v, dict) else v,
    "services.*.configs": lambda v: _file_ref_key(v) if isinstance(v, dict) else v,
    "services.*.build.secrets": lambda v: _file_ref_key(v) if isinstance(v, dict) else v,
    "services.*.env_file": lambda v: v.get("path") if isinstance(v, dict) else v,
    "services.*.label_file": lambda v: v,
}
for _k in ("expose", "cap_add", "cap_drop", "dns", "dns_search", "dns_opt", "tmpfs", "profiles",
           "links", "volumes_from"):
    UNIQUE_KEYS[f"services.*.{_k}"] = repr
UNIQUE_KEYS["services.*.networks.*.aliases"] = repr
UNIQUE_KEYS["services.*.build.tags"] = repr
UNIQUE_KEYS["services.*.build.platforms"] = repr
UNIQUE_KEYS["services.*.build.cache_from"] = repr
UNIQUE_KEYS["services.*.build.cache_to"] = repr
UNIQUE_KEYS["services.*.extra_hosts.*"] = repr

REPLACE = {"services.*.command", "services.*.entrypoint", "services.*.healthcheck.test"}


def _pattern(path: tuple) -> str:
    """('services','web','ports') -> 'services.*.ports' (names of services/networks wildcarded)."""
    parts = list(path)
    if len(parts) >= 2 and parts[0] in ("services", "networks", "volumes", "secrets", "configs"):
        parts[1] = "*"
    if len(parts) >= 4 and parts[0] == "services" and parts[2] in ("networks", "extra_hosts"):
        parts[3] = "*"
    return ".".join(parts)


# --no-interpolate: the raw maps keep their short forms, and compose-go merges these as
# sequences (a mapping becomes sorted "key=value" items), then keeps one item per key
TO_SEQUENCE = {f"services.*.{k}" for k in (
    "environment", "labels", "annotations", "sysctls", "build.args", "build.labels",
    "deploy.labels", "dns", "dns_opt", "dns_search", "tmpfs")}
TO_SEQUENCE_APPEND = {"networks.*.labels", "volumes.*.labels"}      # no per-key unicity
EXTRA_HOSTS = {"services.*.extra_hosts", "services.*.build.extra_hosts"}


def _go_text(value: Any) -> str:
    """fmt's %v of a YAML scalar (floats: %g with the shortest digits, as Go prints them)."""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}[repr(value)]
        return _go_float(value)
    return str(value)


def _go_float(value: float) -> str:
    from decimal import Decimal
    sign, digits, exp = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    point = len(digits) + exp                    # digits before the decimal point
    x = point - 1
    minus = "-" if sign else ""
    if text == "0":
        return minus + "0"
    if x < -4 or x >= 6:                       # strconv "g", shortest: precision 6
        mant = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{minus}{mant}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if point <= 0:
        return f"{minus}0.{'0' * -point}{text}"
    if point >= len(text):
        return minus + text + "0" * (point - len(text))
    return f"{minus}{text[:point]}.{text[point:]}"


def as_sequence(value: Any) -> list:
    """compose-go's convertIntoSequence: mapping -> sorted "k=v" (or "k" for null) items."""
    if isinstance(value, dict):
        return sorted(str(k) if v is None else f"{k}={_go_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return copy_data(value)
    if isinstance(value, str):
        return [value]
    return []


def _merge_raw_sequence(base: Any, over: Any, pattern: str) -> list:
    left, right = as_sequence(base), as_sequence(over)
    if pattern in EXTRA_HOSTS:
        return left + [item for item in right if item not in left]
    if pattern in TO_SEQUENCE_APPEND:
        return left + right
    return merge_unique(left, right, lambda v: v.split("=", 1)[0] if isinstance(v, str) else repr(v))


def merge(base: Any, over: Any, path: tuple = (), raw: bool = False) -> Any:
    """A new value: ``over`` merged onto ``base``. Neither input is modified. ``raw``: the
    uninterpolated maps of --no-interpolate (short forms kept; see TO_SEQUENCE)."""
    if isinstance(over, Override):
        return copy_data(over.value)
    if isinstance(over, Reset):
        return Reset(None)
    if isinstance(base, Reset):
        base = base.value
    pattern = _pattern(path)
    if pattern in REPLACE:
        return copy_data(over)
    if raw and (pattern in TO_SEQUENCE or pattern in TO_SEQUENCE_APPEND or pattern in EXTRA_HOSTS):
        return _merge_raw_sequence(base, over, pattern)
    if isinstance(base, dict) and isinstance(over, dict):
        if pattern == "services.*.logging":
            return _merge_logging(base, over, path)
        out = {k: v for k, v in base.items()}
        for key, value in over.items():
            if key in out:
                out[key] = merge(out[key], value, path + (str(key),), raw)
            else:
                out[key] = copy_data(value)
        return {k: v for k, v in out.items() if not isinstance(v, Reset)}
    if isinstance(base, list) and isinstance(over, list):
        key_fn = UNIQUE_KEYS.get(pattern)
        if key_fn is None:
            return copy_data(base) + copy_data(over)
        return merge_unique(base, over, key_fn)
    if over is None and isinstance(base, (dict, list)) and len(path) >= 4 and path[2] == "networks":
        return copy_data(base)
    return copy_data(over)


def merge_unique(base: list, over: list, key_fn) -> list:
    out: list = []
    index: dict = {}
    for item in list(base) + list(over):
        key = key_fn(item)
        if key in index:
            out[index[key]] = copy_data(item)
        else:
            index[key] = len(out)
            out.append(copy_data(item))
    return out


def _merge_logging(base: dict, over: dict, path: tuple) -> dict:
    same = base.get("driver") in (None, over.get("driver")) or over.get("driver") is None
    if not same:
        return copy_data(over)
    out = dict(base)
    for key, value in over.items():
        if key == "options" and isinstance(out.get("options"), dict) and isinstance(value, dict):
            out["options"] = {**out["options"], **value}
        else:
            out[key] = copy_data(value)
    return out


def strip_resets(value: Any) -> Any:
    """Remove leftover !reset markers and unwrap !override after all merges."""
    if isinstance(value, Override):
        return strip_resets(value.value)
    if isinstance(value, Reset):
        return None
    if isinstance(value, dict):
        return {k: strip_resets(v) for k, v in value.items()
                if not (isinstance(v, Reset) and not isinstance(v, Override))}
    if isinstance(value, list):
        return [strip_resets(v) for v in value if not (isinstance(v, Reset) and not isinstance(v, Override))]
    return value


def enforce_unicity(service: dict) -> dict:
    """De-duplicate unique-key sequences of one service (the later entry wins, in place)."""
    out = dict(service)
    for pattern, key_fn in UNIQUE_KEYS.items():
        parts = pattern.split(".")
        if len(parts) == 3 and isinstance(out.get(parts[2]), list):
            out[parts[2]] = merge_unique([], out[parts[2]], key_fn)
    build = out.get("build")
    if isinstance(build, dict):
        for key in ("secrets", "tags", "platforms", "cache_from", "cache_to"):
            if isinstance(build.get(key), list):
                out["build"] = dict(out["build"], **{key: merge_unique(
                    [], build[key], UNIQUE_KEYS[f"services.*.build.{key}"])})
    return out


APPENDED_UNIQUE = ("security_opt", "group_add", "device_cgroup_rules", "external_links")


def duplicate_items(name: str, service: dict) -> list:
    """Messages for appended lists that the schema wants unique (checked after merging)."""
    problems = []
    for key in APPENDED_UNIQUE:
        items = service.get(key)
        if not isinstance(items, list):
            continue
        for j, item in enumerate(items):
            if item in items[:j]:
                i = items.index(item)
                problems.append(f"services.{name}.{key} items at {i} and {j} are equal")
                break
    return problems
