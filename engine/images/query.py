"""Read-only, light image lookups (for the no-op ``up`` fast path).

    image_id = tagged_image_id(root, "docker.io/library/busybox:latest")   # or None

The name is a normalised ``name:tag`` (engine.reference's ``tagged_name``; the caller
normalised it earlier). The answer is the id ImageService.inspect(ref).id gives for a tagged
reference: the tag index entry of ``<root>/images/index.json`` whose manifest and config blobs
are in the content store and parse as JSON objects. None means "not sure" (no such tag, a
dangling entry, a missing or unreadable blob): the caller then asks the full ImageService.
No engine.types or json package import (JSON through engine.layout.loads).
"""
from __future__ import annotations

import os

from ..layout import loads


def index_path(root: str) -> str:
    """engine.layout: ``Layout.images / "index.json"`` (engine.images.index)."""
    return os.path.join(root, "images", "index.json")


def blob_path(root: str, digest: str) -> "str | None":
    """engine.layout.Layout.blob(digest) for a well-formed sha256 digest, else None."""
    algo, _, hexpart = digest.partition(":")
    if algo != "sha256" or len(hexpart) != 64 or not all(c in "0123456789abcdef" for c in hexpart):
        return None
    return os.path.join(root, "content", "blobs", "sha256", hexpart)


class ImageIndexView:
    """index.json read once, for several lookups."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.doc = _read_object(index_path(root))
        self._ids: dict = {}                    # tagged name -> answer (one read per image)

    def tagged_image_id(self, tagged_name: str) -> "str | None":
        if tagged_name not in self._ids:
            self._ids[tagged_name] = self._lookup(tagged_name)
        return self._ids[tagged_name]

    def _lookup(self, tagged_name: str) -> "str | None":
        doc = self.doc
        if doc is None:
            return None
        image_id = (doc.get("tags") or {}).get(tagged_name)
        rec = (doc.get("images") or {}).get(image_id) if isinstance(image_id, str) else None
        if not isinstance(rec, dict) or not isinstance(rec.get("manifest"), str):
            return None
        for digest in (rec["manifest"], image_id):
            path = blob_path(self.root, digest)
            if path is None or _read_object(path) is None:
                return None
        return image_id


def tagged_image_id(root: str, tagged_name: str) -> "str | None":
    return ImageIndexView(root).tagged_image_id(tagged_name)


def _read_object(path: str) -> "dict | None":
    try:
        with open(path, "rb") as f:
            doc = loads(f.read())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None
