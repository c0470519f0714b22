"""``--cache-from`` / compose ``build.cache_from``: images that answer cache lookups.

    sources = CacheSources.open(run)      # None when spec.cache_from is empty
    sources.lookup(step_key)              # a step record (like BuildCache.get_step) or None
    sources.image_for_export(export_key)  # id of a source image that is this build's result

Every image pycompose builds carries, at the top level of its config document, the cache
keys of the steps that made its layers (like BuildKit's inline cache, always on)::

    "pycompose.build.cache.v0": {"export": "<export key>",
                                 "steps": [["<step key>", <layer index or -1>, "<created>"]]}

Step keys chain the parent key, the instruction after substitution and the step's inputs
(content digests of copied files, build args, mounts; see steps.py), so a key found in a
source image means "this very step on this very parent": its layer is reused as it is.
The data travels with the image (``image save``/``load``, push/pull), so a pulled or
loaded image is a cache source as well. Images without the field (built elsewhere) give
no hits (a log line says so).

Accepted entries (Docker Compose / buildx syntax):
    NAME[:TAG] | type=registry,ref=NAME   the image in the store; pulled when missing (a
                                          failed pull is a warning, the build goes on)
    type=local|gha|s3|azblob,...          BuildKit cache backends: a warning, ignored
"""
from __future__ import annotations

from ..errors import EngineError

META_KEY = "pycompose.build.cache.v0"
UNSUPPORTED_TYPES = {
    "local": "BuildKit's local cache directory format is not supported by pycompose",
    "gha": "the GitHub Actions cache service is not reachable from pycompose",
    "s3": "the S3 cache backend is not supported by pycompose",
    "azblob": "the Azure Blob cache backend is not supported by pycompose",
    "inline": "type=inline is a cache export; use the image reference to import it",
}


def parse_entry(entry: str) -> tuple[str, dict]:
    """("registry", {"ref": ...}) for ``NAME`` or ``type=registry,ref=NAME``; other types
    come back with their attributes."""
    entry = entry.strip()
    if "=" not in entry.split(",", 1)[0]:
        return "registry", {"ref": entry}
    attrs = {}
    for part in entry.split(","):
        key, _, value = part.partition("=")
        attrs[key.strip().lower()] = value.strip()
    return attrs.pop("type", "registry").lower(), attrs


def cache_metadata(export_key: str, steps: list) -> dict:
    return {"export": export_key, "steps": [list(s) for s in steps]}


class CacheSources:
    def __init__(self, run) -> None:
        self.run = run
        self.images = run.engine.images
        self.entries: dict = {}          # step key -> record
        self.exports: dict = {}          # export key -> image id

    @classmethod
    def open(cls, run):
        if not run.spec.cache_from:
            return None
        sources = cls(run)
        for entry in run.spec.cache_from:
            sources._add_entry(entry)
        return sources

    def _add_entry(self, entry: str) -> None:
        kind, attrs = parse_entry(entry)
        progress = self.run.progress
        if kind != "registry":
            reason = UNSUPPORTED_TYPES.get(kind, f"unknown cache type {kind!r}")
            progress.warn(f"cache_from {entry!r} ignored: {reason}")
            return
        ref = attrs.get("ref", "")
        if not ref:
            progress.warn(f"cache_from {entry!r} ignored: it names no ref")
            return
        vertex = progress.start(f"importing cache manifest from {ref}")
        try:
            info = self._image(ref, vertex)
        except EngineError as e:
            vertex.log(f"failed to import cache from {ref}: {e}")
            vertex.done()
            progress.warn(f"failed to import cache from {ref}: {e}")
            return
        count = self._add_image(info.id)
        vertex.log(f"{count} cached steps in {ref}" if count >= 0 else
                   f"{ref} has no pycompose build cache metadata: not used")
        vertex.done()

    def _image(self, ref: str, vertex):
        if self.images.exists(ref):
            return self.images.inspect(ref)
        vertex.log(f"pulling {ref}")
        return self.images.pull(ref, self.run.spec.platform or "", None)

    def _add_image(self, image_id: str) -> int:
        img = self.images.get(image_id)
        meta = img.config.get(META_KEY)
        if not isinstance(meta, dict):
            return -1
        self.exports.setdefault(meta.get("export", ""), img.id)
        layers, diff_ids, chain = img.layers, img.diff_ids, img.chain
        count = 0
        for item in meta.get("steps") or []:
            try:
                key, index, created = item
                index = int(index)
            except (TypeError, ValueError):
                continue
            if key in self.entries or index >= len(layers):
                continue
            if index < 0:
                self.entries[key] = {"empty": True, "created": created}
            else:
                self.entries[key] = {"diff_id": diff_ids[index], "digest": layers[index].digest,
                                     "size": layers[index].size, "created": created,
                                     "image": img.id, "chain_id": chain[index]}
            count += 1
        return count

    def lookup(self, key: str) -> dict | None:
        rec = self.entries.get(key)
        if rec is None or rec.get("empty") or "dir" in rec:
            return rec
        snap = self.images.snapshots.lookup(rec["chain_id"])
        if snap is None:                     # not unpacked yet (e.g. a fresh load)
            try:
                self.images.ensure_unpacked(self.images.get(rec["image"]))
            except EngineError:
                return None
            snap = self.images.snapshots.lookup(rec["chain_id"])
            if snap is None:
                return None
        rec["dir"] = str(snap / "fs")
        return rec

    def image_for_export(self, key: str) -> str | None:
        image_id = self.exports.get(key)
        return image_id if image_id and self.images.exists(image_id) else None
