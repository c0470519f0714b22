"""Read a JSON record without importing the ``json`` package.

    doc = loads(data)          # bytes or str -> the same object json.loads returns
    doc = read(path, default)  # a file's JSON (default when the file does not exist)

``import json`` pulls in ``re`` and ``enum`` (json.decoder compiles its whitespace and number
patterns), ~15-20 ms on a slow VM: more than the rest of a no-op ``up``'s engine reads. The
parsing itself is the C scanner json.loads uses (``_json.make_scanner``) with json's default
settings (strict strings, float/int, no hooks), so the result is the same object. Only the
surrounding steps of json.JSONDecoder.decode are done here: UTF-8 decoding and skipping JSON
whitespace around the value. Anything json.loads would reject raises ValueError here too
(tests/engine/runtime/test_query_light.py compares both on records and random documents);
NaN/Infinity, which json.loads accepts, raise ValueError: callers fall back to the full path.
"""
from __future__ import annotations

import _json

_WS = " \t\n\r"


def _no_constants(name: str):
    raise ValueError(f"JSON constant {name} is not supported here")


class _Context:
    """The attributes _json.make_scanner reads from a JSONDecoder (json's defaults)."""
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_no_constants)
    memo: dict = {}


_scan = _json.make_scanner(_Context())


def loads(data) -> object:
    """The JSON value in ``data`` (ValueError if it is not exactly one JSON document)."""
    if isinstance(data, (bytes, bytearray)):
        if data[:3] == b"\xef\xbb\xbf" or (data[:1] == b"\x00") or (data[1:2] == b"\x00"):
            raise ValueError("not a UTF-8 JSON document")
        text = data.decode("utf-8")
    else:
        text = data
    start = len(text) - len(text.lstrip(_WS))
    try:
        value, end = _scan(text, start)
    except StopIteration as e:
        raise ValueError(f"Expecting value at {e.value}") from None
    if text[end:].strip(_WS):
        raise ValueError(f"Extra data at {end}")
    return value


def read(path: str, default=None):
    """The JSON in file ``path``; ``default`` when it does not exist (ValueError if torn)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return default
    return loads(data)
