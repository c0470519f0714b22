"""ImageStore: resolving names and ids, registering images, removing them and collecting
the blobs and snapshots nothing uses any more. The ImageService builds on this."""
from __future__ import annotations

import os
import re
import time
from engine.records import record
from typing import Iterable, Optional

from .. import reference
from ..content import ContentStore
from ..errors import Conflict, ImageError, NotFound
from ..layout import Layout
from ..snapshots.overlay import Snapshotter
from ..types import ImageInfo
from . import manifest as mf
from .index import ImageIndex, add_image, set_tag, tags_of

ORPHAN_GRACE = 3600.0
HEX_PREFIX_RE = re.compile(r"^(sha256:)?[0-9a-f]{1,64}$")


@record
class Image:
    """An image as stored: its id (config digest), manifest and parsed config."""

    id: str
    manifest_digest: str
    manifest: dict
    config: dict
    record: dict
    tags: list[str]

    @property
    def layers(self) -> list[mf.Descriptor]:
        return [mf.Descriptor.from_json(x) for x in self.manifest.get("layers", [])]

    @property
    def diff_ids(self) -> list[str]:
        return mf.diff_ids_of(self.config)

    @property
    def chain(self) -> list[str]:
        return mf.chain_ids(self.diff_ids)


class ImageStore:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.content = ContentStore(layout)
        self.index = ImageIndex(layout)
        self.snapshots = Snapshotter(layout)

    # --- resolving ----------------------------------------------------------------------
    def resolve_id(self, ref_or_id: str, doc: Optional[dict] = None) -> str:
        """Image id for a reference, a full/short id or name@digest; NotFound otherwise."""
        doc = doc if doc is not None else self.index.read()
        text = (ref_or_id or "").strip()
        ref = None
        try:
            ref = reference.parse(text)
        except ImageError:
            pass
        if ref is not None:
            if ref.digest:
                wanted = f"{ref.name}@{ref.digest}"
                for image_id, rec in doc["images"].items():
                    if wanted in rec.get("repo_digests", ()) or rec.get("manifest") == ref.digest \
                            and not ref.tag and self._has_name(doc, image_id, ref.name):
                        return image_id
            elif ref.tagged_name in doc["tags"]:
                return doc["tags"][ref.tagged_name]
        if HEX_PREFIX_RE.match(text):
            hexpart = text.partition(":")[2] if text.startswith("sha256:") else text
            matches = [i for i in doc["images"] if i[7:].startswith(hexpart)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise Conflict(f"short image id {text!r} is ambiguous: use a longer id")
        if ref is None and not HEX_PREFIX_RE.match(text):
            reference.parse(text)          # raises the reference format error
        shown = ref.familiar if ref is not None else text
        raise NotFound(f"No such image: {shown}")

    def _has_name(self, doc: dict, image_id: str, name: str) -> bool:
        rec = doc["images"].get(image_id, {})
        return any(t.rpartition(":")[0] == name for t in tags_of(doc, image_id)) or \
            any(d.partition("@")[0] == name for d in rec.get("repo_digests", ()))

    def get(self, ref_or_id: str, doc: Optional[dict] = None) -> Image:
        doc = doc if doc is not None else self.index.read()
        return self.load_image(self.resolve_id(ref_or_id, doc), doc)

    def load_image(self, image_id: str, doc: dict) -> Image:
        rec = doc["images"][image_id]
        try:
            manifest = mf.loads(self.content.read(rec["manifest"]), "image manifest")
            config = mf.loads(self.content.read(image_id), "image config")
        except NotFound:
            raise ImageError(f"image {image_id[7:19]} is damaged: a blob is missing from the "
                             "content store (remove and pull/load it again)") from None
        return Image(image_id, rec["manifest"], manifest, config, rec, tags_of(doc, image_id))

    def all_images(self, doc: Optional[dict] = None) -> list[Image]:
        doc = doc if doc is not None else self.index.read()
        out = []
        for image_id in doc["images"]:
            try:
                out.append(self.load_image(image_id, doc))
            except ImageError:
                continue
        return out

    # --- registering --------------------------------------------------------------------
    def register(self, manifest_digest: str, media_type: str, tags: Iterable[str] = (),
                 repo_digests: Iterable[str] = ()) -> tuple[str, list[str]]:
        """Index an image whose blobs are all in the content store; point ``tags`` at it.

        Returns (image id, tags that moved away from another image)."""
        manifest = mf.loads(self.content.read(manifest_digest), "image manifest")
        config_desc, layers = mf.parse_manifest(self.content.read(manifest_digest))
        missing = [d.digest for d in [config_desc, *layers] if not self.content.has(d.digest)]
        if missing:
            raise ImageError(f"cannot register image: blob {missing[0]} is missing "
                             "(removed concurrently?); try again")
        image_id = config_desc.digest
        moved: list[str] = []
        with self.index.update() as doc:
            add_image(doc, image_id, manifest_digest, media_type or mf.media_type_of(manifest),
                      tuple(repo_digests))
            for tag in tags:
                previous = set_tag(doc, tag, image_id)
                if previous:
                    moved.append(previous)
        return image_id, moved

    # --- removing -----------------------------------------------------------------------
    def users(self, image_id: str) -> list[str]:
        """Keys of active snapshots (containers, build steps) made from ``image_id``."""
        return sorted(k for k, meta in self.snapshots.active().items() if meta.get("image") == image_id)

    def remove(self, ref_or_id: str, force: bool = False) -> list[dict]:
        with self.index.update() as doc:
            image_id = self.resolve_id(ref_or_id, doc)
            tags = tags_of(doc, image_id)
            by_name = self._named(ref_or_id, doc, image_id)
            users = self.users(image_id)
            report: list[dict] = []
            if by_name and len(tags) > 1:
                del doc["tags"][by_name]
                return [{"Untagged": reference.familiar(by_name)}]
            if users and not force:
                what = f'repository reference "{reference.familiar(ref_or_id)}"' if by_name \
                    else image_id[7:19]
                raise Conflict(f"conflict: unable to remove {what} (must force) - container "
                               f"{users[0][:12]} is using its referenced image {image_id[7:19]}")
            if not by_name and len(tags) > 1 and not force:
                raise Conflict(f"conflict: unable to delete {image_id[7:19]} (must be forced) - "
                               "image is referenced in multiple repositories")
            for tag in tags:
                del doc["tags"][tag]
                report.append({"Untagged": reference.familiar(tag)})
            for rd in doc["images"][image_id].get("repo_digests", []):
                report.append({"Untagged": reference.familiar(rd)})
            if users:
                doc["images"][image_id]["repo_digests"] = []
                return report
            try:
                layer_digests = [d.digest for d in self.load_image(image_id, doc).layers]
            except ImageError:
                layer_digests = []
            rec = doc["images"].pop(image_id)
            report.append({"Deleted": image_id})
        self.collect(dropped=[rec.get("manifest"), rec.get("index"), image_id, *layer_digests])
        return report

    def _named(self, text: str, doc: dict, image_id: str) -> Optional[str]:
        try:
            ref = reference.parse(text)
        except ImageError:
            return None
        if ref.tag and not ref.digest and doc["tags"].get(ref.tagged_name) == image_id:
            return ref.tagged_name
        return None

    def untag(self, tagged_name: str) -> None:
        with self.index.update() as doc:
            doc["tags"].pop(tagged_name, None)

    def collect(self, dropped: Iterable[Optional[str]] = ()) -> int:
        """Delete blobs and snapshots no image (nor active snapshot) uses; returns bytes freed."""
        doc = self.index.read()
        live_blobs: set[str] = set()
        live_chains: set[str] = set()
        for image in self.all_images(doc):
            live_blobs.update([image.id, image.manifest_digest, image.record.get("index") or ""])
            live_blobs.update(d.digest for d in image.layers)
            live_chains.update(image.chain)
        for meta in self.snapshots.active().values():
            live_chains.update(meta.get("chain", []))
        freed = 0
        for digest in list(dropped):
            if digest and digest not in live_blobs and self.content.has(digest):
                freed += self.content.size(digest)
                self.content.delete(digest)
                self.index.drop_layer(digest)
        for digest in list(self.content.list()):
            info = self.index.layer(digest)
            if info is not None and digest not in live_blobs and self._orphan_old(digest):
                freed += self.content.size(digest)
                self.content.delete(digest)
                self.index.drop_layer(digest)
        self.snapshots.clean_staging()
        self._clean_ingests()
        for meta in self.snapshots.committed():
            if meta["chain_id"] not in live_chains:
                freed += int(meta.get("size", 0))
                self.snapshots.remove(meta["chain_id"])
        return freed

    def _clean_ingests(self, older_than: float = 86400.0) -> None:
        """Partial downloads nobody resumed for a day are dropped."""
        import shutil
        try:
            entries = list(os.scandir(self.layout.ingest))
        except FileNotFoundError:
            return
        for entry in entries:
            try:
                if time.time() - entry.stat(follow_symlinks=False).st_mtime > older_than:
                    shutil.rmtree(entry.path, ignore_errors=True)
            except FileNotFoundError:
                continue

    def _orphan_old(self, digest: str) -> bool:
        """Unreferenced layer blobs younger than an hour may belong to a pull or build in
        progress (they are registered last): leave them to a later prune."""
        try:
            return time.time() - self.content.path(digest).stat().st_mtime > ORPHAN_GRACE
        except FileNotFoundError:
            return False

    # --- info ---------------------------------------------------------------------------
    def layer_sizes(self, image: Image) -> list[int]:
        """Unpacked size of each layer (the blob size until it has been unpacked)."""
        sizes = []
        for desc, chain_id in zip(image.layers, image.chain):
            facts = self.index.layer(desc.digest) or {}
            sizes.append(int(facts.get("unpacked_size") or self.snapshots.size(chain_id) or desc.size))
        return sizes

    def info(self, image: Image) -> ImageInfo:
        cfg = image.config
        size = sum(self.layer_sizes(image))
        runnable = mf.image_config(cfg)
        return ImageInfo(
            id=image.id, repo_tags=tuple(image.tags),
            repo_digests=tuple(image.record.get("repo_digests", ())),
            created=cfg.get("created") or "", size=size,
            architecture=cfg.get("architecture", ""), os=cfg.get("os", ""),
            config=runnable, layers=tuple(image.diff_ids), labels=dict(runnable.labels))
