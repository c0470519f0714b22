"""The image index: which images exist and which names point at them.

images/index.json (replaced atomically, updated under the "images" flock):
    {"images": {"sha256:<config>": {"manifest": "sha256:..", "media_type": "..",
                                    "repo_digests": ["docker.io/library/x@sha256:.."],
                                    "added": "<RFC 3339>"}},
     "tags":   {"docker.io/library/busybox:latest": "sha256:<config>"}}
images/layers/<blob hex>.json: immutable facts about one layer blob
    {"diff_id", "media_type", "size" (blob), "unpacked_size"}

An image is added to the index only after its manifest, config and every layer blob are in
the content store, so a reader never sees an entry pointing at a missing blob. Readers do
not lock (the file is replaced atomically); writers hold the lock only while updating.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

from ..layout import Layout, read_json, write_json
from ..locks import flock


def now_rfc3339() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1e9):09d}Z"


class ImageIndex:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.path = layout.images / "index.json"

    def read(self) -> dict:
        doc = read_json(self.path, None) or {}
        doc.setdefault("images", {})
        doc.setdefault("tags", {})
        return doc

    @contextmanager
    def update(self):
        """Yield the index document for modification; written back atomically on success."""
        with flock(self.layout.lock_file("images"), what="the image index"):
            doc = self.read()
            yield doc
            write_json(self.path, doc)

    # --- layer facts ------------------------------------------------------------------------
    def _layer_path(self, digest: str) -> Path:
        return self.layout.images / "layers" / (digest.partition(":")[2] + ".json")

    def layer(self, digest: str) -> Optional[dict]:
        return read_json(self._layer_path(digest), None)

    def set_layer(self, digest: str, info: dict) -> None:
        write_json(self._layer_path(digest), info)

    def drop_layer(self, digest: str) -> None:
        try:
            self._layer_path(digest).unlink()
        except FileNotFoundError:
            pass


def add_image(doc: dict, image_id: str, manifest: str, media_type: str,
              repo_digests: tuple[str, ...] = ()) -> dict:
    rec = doc["images"].get(image_id)
    if rec is None or rec.get("manifest") != manifest:
        old_digests = (rec or {}).get("repo_digests", [])
        rec = {"manifest": manifest, "media_type": media_type, "repo_digests": list(old_digests),
               "added": (rec or {}).get("added") or now_rfc3339()}
        doc["images"][image_id] = rec
    for rd in repo_digests:
        name = rd.partition("@")[0]
        rec["repo_digests"] = [d for d in rec["repo_digests"] if d.partition("@")[0] != name] + [rd]
    return rec


def set_tag(doc: dict, tagged_name: str, image_id: str) -> Optional[str]:
    """Point ``tagged_name`` at ``image_id``; returns the image it pointed at before."""
    previous = doc["tags"].get(tagged_name)
    doc["tags"][tagged_name] = image_id
    return previous if previous != image_id else None


def tags_of(doc: dict, image_id: str) -> list[str]:
    return sorted(t for t, i in doc["tags"].items() if i == image_id)
