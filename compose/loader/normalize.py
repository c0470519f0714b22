"""Defaults, types, paths and names after the merge, exactly as Docker Compose prints them.

* values get the types compose-go's model gives them: byte sizes -> "<int>" strings,
  durations -> Go duration strings ("1m30s"), labels/environment values -> strings, ...
* paths (§5.6): bind sources, build context, env_file, secret/config files, label_file,
  develop.watch paths -> absolute against the project directory (``~`` expanded);
* build.dockerfile defaults to "Dockerfile"; pull_policy if_not_present -> missing;
* implicit depends_on for links, network_mode/ipc/pid service:X (restart true) and
  volumes_from (restart false); networks default to {default: null};
* top-level resources get their engine names (``<project>_<key>``).
"""
from __future__ import annotations

import os
from typing import Any

from compose.errors import ConfigError
from .units import parse_bytes, parse_duration

from .shortsyntax import scalar_str

_BYTES = ("mem_limit", "mem_reservation", "memswap_limit", "shm_size", "mem_swappiness")
_BOOLS = ("privileged", "read_only", "tty", "stdin_open", "init", "oom_kill_disable", "attach",
          "use_api_socket")
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


def go_duration(seconds: float) -> str:
    """Go's time.Duration.String() for a number of seconds."""
    ns = round(seconds * 1e9)
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size:
                return sign + _trim(ns, size) + unit
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    secs = _trim(rest, 1_000_000_000) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}"
    if minutes:
        return f"{sign}{minutes}m{secs}"
    return sign + secs


def _trim(value: int, unit: int) -> str:
    whole, frac = divmod(value, unit)
    if not frac:
        return str(whole)
    digits = str(frac).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def to_duration(value: Any, where: str) -> str:
    try:
        secs = parse_duration(value)
    except ValueError:
        raise ConfigError(f"{where}: invalid duration {value!r}") from None
    return go_duration(secs or 0.0)


def to_bytes(value: Any, where: str) -> str:
    try:
        return str(parse_bytes(value))
    except ValueError:
        raise ConfigError(f"{where}: invalid size {value!r}") from None


def to_bool(value: Any, where: str, warn=None) -> bool:
    if isinstance(value, bool):
        return value
    text = scalar_str(value).lower()
    if text in _TRUE:
        if warn and text not in ("true",):
            warn(f'"{value}" for boolean is not supported by YAML 1.2, please use `true`')
        return True
    if text in _FALSE:
        if warn and text not in ("false",):
            warn(f'"{value}" for boolean is not supported by YAML 1.2, please use `false`')
        return False
    raise ConfigError(f"{where} must be a boolean")


def to_int(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{where} must be an integer")
    try:
        return int(value) if not isinstance(value, float) else int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where} must be an integer, got {value!r}") from None


def to_float(value: Any, where: str) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where} must be a number, got {value!r}") from None
    return f


def abs_path(path: str, base: str, home: str | None) -> str:
    if len(path) >= 3 and path[1] == ":" and path[0].isalpha() and path[2] in "\\/":
        return path                     # a Windows drive path: left as written
    if path.startswith("~"):
        path = (home or os.path.expanduser("~")) + path[1:]
    if os.path.isabs(path):
        return os.path.normpath(path) if path not in ("/",) else path
    return os.path.normpath(os.path.join(base, path))


# compose-go's isRemoteContext prefixes (Git references and HTTP(S) URLs, after buildkit)
REMOTE_CONTEXT_PREFIXES = ("https://", "http://", "git://", "ssh://", "github.com/", "git@")


def is_remote_context(context: str) -> bool:
    """A build context / additional_contexts value compose-go leaves as written: anything with
    "://" (URLs, `docker-image://`, `oci-layout://`, any builder-specific type), a `service:`
    reference, or a Git/HTTP reference (`github.com/...`, `git@host:repo`)."""
    return "://" in context or context.startswith(REMOTE_CONTEXT_PREFIXES) \
        or context.startswith("service:")


def is_local_context(value: str) -> bool:
    """A build context / additional_contexts value that is a local path (resolved against the
    project directory). `target:x` is a path too for compose-go."""
    return not is_remote_context(value)


def command(value: Any) -> list:
    if isinstance(value, list):
        return [scalar_str(v) for v in value]
    try:
        import shlex                      # only for a command given as one string
        return shlex.split(scalar_str(value))
    except ValueError as e:
        raise ConfigError(f"invalid command line {value!r}: {e}") from None
