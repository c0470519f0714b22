"""Durations and byte sizes as Docker Compose reads them (no compose.model import).

The loader needs these while normalising; compose.model (frozen dataclasses, costly to import)
is not needed by ``pycompose config``, so the parsers live here.
"""
from __future__ import annotations

import re
from typing import Any, Optional

_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
                   "h": 3600.0, "d": 86400.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")
_BYTES_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([kmgtpe]?)(i?b?)\s*$", re.I)
_BYTE_MULT = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4,
              "p": 1024 ** 5, "e": 1024 ** 6}


def parse_duration(value: Any) -> Optional[float]:
    """Seconds for a Go/Compose duration ("1m30s", "1.5s", 10) or None."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-")
    if text == "0":
        return 0.0
    pos, total = 0, 0.0
    for m in _DURATION_PART.finditer(text):
        if m.start() != pos:
            raise ValueError(f"invalid duration {value!r}")
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or pos == 0:
        raise ValueError(f"invalid duration {value!r}")
    return sign * total


def parse_bytes(value: Any) -> Optional[int]:
    """Bytes for a size ("512m", "1g", "1024", 1024) or None; units are powers of 1024."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    m = _BYTES_RE.match(str(value))
    if not m:
        raise ValueError(f"invalid size {value!r}")
    return int(float(m.group(1)) * _BYTE_MULT[m.group(2).lower()])
