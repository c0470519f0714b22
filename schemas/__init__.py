"""JSON schemas shipped with pycompose (read through the package's loader, never by path).

``__loader__.get_data`` works wherever the package is importable from (a directory, a wheel
install, a zip); importlib.resources is the fallback. It is not the first choice because
importing it (zipfile, pathlib, tempfile, ...) costs more than reading the schema.
"""
from __future__ import annotations

import functools
import json
import os


@functools.lru_cache(maxsize=None)
def load(name: str) -> dict:
    """Return the parsed JSON schema ``name`` (e.g. ``"compose-spec.json"``)."""
    loader = globals().get("__loader__")
    if hasattr(loader, "get_data"):
        try:
            return json.loads(loader.get_data(os.path.join(os.path.dirname(__file__), name)))
        except OSError:
            pass
    from importlib import resources
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))
