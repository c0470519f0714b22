"""JSON schemas shipped with pycompose (loaded with importlib.resources, never by path)."""
from __future__ import annotations

import functools
import json
from importlib import resources


@functools.lru_cache(maxsize=None)
def load(name: str) -> dict:
    """Return the parsed JSON schema ``name`` (e.g. ``"compose-spec.json"``)."""
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))
