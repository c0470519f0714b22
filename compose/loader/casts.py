"""Boolean casts of the interpolation phase, like compose-go's ``interpolateTypeCastMapping``.

compose-go casts the string values of some boolean attributes while it interpolates a file,
before the file is validated against the schema: ``true``/``false`` (any case) silently,
the YAML 1.1 words ``y``/``yes``/``on``/``n``/``no``/``off`` with the warning
``"yes" for boolean is not supported by YAML 1.2, please use `true` ``. So these warnings come
before a schema error of the same file. Other boolean attributes (``attach``,
``depends_on.*.restart``, ``build.no_cache``, ...) are only converted after validation
(service_norm.py), with the same warning."""
from __future__ import annotations

from typing import Any, Callable, Optional

_TRUE_WORDS = ("y", "yes", "on")
_FALSE_WORDS = ("n", "no", "off")
SERVICE_BOOLEANS = ("init", "oom_kill_disable", "privileged", "read_only", "stdin_open", "tty")
NETWORK_BOOLEANS = ("external", "internal", "attachable", "enable_ipv4", "enable_ipv6")


def cast_booleans(data: Any, warn: Optional[Callable[[str], None]]) -> None:
    """Cast, in place, the boolean attributes compose-go casts while interpolating ``data``
    (one interpolated file), warning for YAML 1.1 words."""
    if not isinstance(data, dict):
        return
    for service in _values(data.get("services")):
        if not isinstance(service, dict):
            continue
        _cast_keys(service, SERVICE_BOOLEANS, warn)
        if isinstance(service.get("healthcheck"), dict):
            _cast_keys(service["healthcheck"], ("disable",), warn)
        for mount in service.get("volumes") if isinstance(service.get("volumes"), list) else ():
            if isinstance(mount, dict):
                _cast_keys(mount, ("read_only",), warn)
                if isinstance(mount.get("volume"), dict):
                    _cast_keys(mount["volume"], ("nocopy",), warn)
    for network in _values(data.get("networks")):
        _cast_keys(network, NETWORK_BOOLEANS, warn)
    for section in ("volumes", "secrets", "configs"):
        for item in _values(data.get(section)):
            _cast_keys(item, ("external",), warn)


def _values(section: Any) -> list:
    return list(section.values()) if isinstance(section, dict) else []


def _cast_keys(mapping: Any, keys: tuple, warn) -> None:
    if not isinstance(mapping, dict):
        return
    for key in keys:
        value = mapping.get(key)
        if value.__class__ is str:
            cast = to_boolean(value, warn)
            if cast is not None:
                mapping[key] = cast


def to_boolean(value: str, warn) -> Optional[bool]:
    """compose-go's toBoolean; None for a word that is not a boolean (left to the schema)."""
    word = value.lower()
    if word == "true":
        return True
    if word == "false":
        return False
    if word in _TRUE_WORDS or word in _FALSE_WORDS:
        if warn is not None:
            truth = "true" if word in _TRUE_WORDS else "false"
            warn(f'"{value}" for boolean is not supported by YAML 1.2, please use `{truth}`')
        return word in _TRUE_WORDS
    return None
