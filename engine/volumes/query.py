"""Read-only, light volume lookups (for the no-op ``up`` fast path).

    view = volume(root, "demo_data")     # VolumeView, MISSING, or None (not sure)

Reads ``<root>/volumes/<name>/volume.json`` (engine.layout's ``volume_dir``) like
VolumeService.inspect does, without engine.types or the json package. A VolumeView has the
VolumeInfo fields a planner reads (name, driver, labels, options, anonymous). None means the
caller must ask the full VolumeService (an odd name, an unreadable record).
"""
from __future__ import annotations

import os

from ..layout import loads

MISSING = "missing"


class VolumeView:
    __slots__ = ("name", "driver", "labels", "options", "created", "anonymous")

    def __init__(self, meta: dict) -> None:
        self.name = meta["name"]
        self.driver = meta["driver"]
        self.labels = meta["labels"]
        self.options = meta["options"]
        self.created = meta["created"]
        self.anonymous = meta.get("anonymous", False)


def volume_dir(root: str, name: str) -> str:
    """engine.layout.Layout.volume_dir(name) (as a string)."""
    return os.path.join(root, "volumes", name)


def volume(root: str, name: str):
    """The volume named ``name``: a VolumeView, MISSING (VolumeService.inspect would raise
    NotFound) or None (not sure)."""
    if not name or "/" in name or name.startswith(".") or name in ("..",):
        return None
    path = os.path.join(volume_dir(root, name), "volume.json")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except (FileNotFoundError, NotADirectoryError):
        return MISSING
    except OSError:
        return None
    try:
        meta = loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not meta:
        return MISSING                      # VolumeService._meta: an empty record is no volume
    if not isinstance(meta, dict) or meta.get("name") != name:
        return None
    try:
        return VolumeView(meta)
    except KeyError:
        return None
