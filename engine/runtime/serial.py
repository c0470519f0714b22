"""engine.types dataclasses <-> JSON-able dicts (for config.json)."""
from __future__ import annotations

import typing
from functools import lru_cache

from engine import records as dataclasses  # is_dataclass/fields/replace, no dataclasses import
from engine import types as T


def to_dict(obj):
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


@lru_cache(maxsize=None)
def _hints(cls):
    return typing.get_type_hints(cls, vars(T))


def _convert(tp, value):
    if value is None:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union:
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value) if inner else value
    if origin is tuple:
        item = args[0] if args else typing.Any
        return tuple(_convert(item, v) for v in value)
    if dataclasses.is_dataclass(tp) and isinstance(value, dict):
        return from_dict(tp, value)
    return value


def from_dict(cls, data: dict):
    hints = _hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name])
    obj = cls(**kwargs)
    if cls is T.ContainerSpec and obj.networks:
        nets = {k: (from_dict(T.EndpointSpec, v) if isinstance(v, dict) else v)
                for k, v in obj.networks.items()}
        obj = dataclasses.replace(obj, networks=nets)
    return obj
