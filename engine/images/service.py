"""ImageService: the image half of the engine API (``Engine.images``).

    inspect(ref_or_id) -> ImageInfo            list(filters=None) -> list[ImageInfo]
    exists(ref_or_id) -> bool                  tag(src, new_ref) -> None
    remove(ref_or_id, force=False) -> list[dict]   prune(all=False) -> dict
    history(ref_or_id) -> list[dict]           import_tarball(path, ref=None, changes=None) -> ImageInfo
    prepare_rootfs(image_or_None, key) -> RootfsMount     release_rootfs(key) -> None
    add_layer(tar_path) -> (diff_id, digest, size)
    create_image(config, layer_digests, tags=()) -> ImageInfo
    layer_digests(ref_or_id) -> list[str]      export_diff(key, dest_tar) -> str (diff id)
    load(path, on_event=None) -> list[str]     save(refs, dest, format="docker") -> None
    pull(ref, platform="", on_event=None) -> ImageInfo      push(ref, on_event=None) -> str
    inspect_raw(ref_or_id) -> dict (docker inspect JSON)   list_tags(name) -> list[str]
    disk_usage() -> dict                       ensure_unpacked(image) -> None

Names are normalised like Docker (engine.reference); ids are config digests.
"""
from __future__ import annotations

import os
from typing import Callable, Iterable, Optional

from .. import reference
from ..errors import ImageError, NotFound
from ..types import ImageInfo, RootfsMount
from . import manifest as mf
from .store import Image, ImageStore

SCRATCH = (None, "", "scratch")


class ImageService:
    def __init__(self, engine) -> None:
        self.engine = engine
        self.layout = engine.layout
        self.store = ImageStore(engine.layout)
        self.content = self.store.content
        self.snapshots = self.store.snapshots

    # --- queries ------------------------------------------------------------------------
    def inspect(self, ref_or_id: str) -> ImageInfo:
        return self.store.info(self.store.get(ref_or_id))

    def inspect_raw(self, ref_or_id: str) -> dict:
        """The object ``docker image inspect`` prints."""
        from .docker_json import inspect_object
        img = self.store.get(ref_or_id)
        return inspect_object(img, self.store.info(img).size)

    def get(self, ref_or_id: str) -> Image:
        """The stored image (manifest + config documents)."""
        return self.store.get(ref_or_id)

    def exists(self, ref_or_id: str) -> bool:
        try:
            self.store.resolve_id(ref_or_id)
            return True
        except (NotFound, ImageError):
            return False

    def list(self, filters: Optional[dict] = None) -> list[ImageInfo]:
        from .filters import match
        infos = [self.store.info(img) for img in self.store.all_images()]
        infos = [i for i in infos if match(i, filters or {}, self)]
        return sorted(infos, key=lambda i: i.created, reverse=True)

    def history(self, ref_or_id: str) -> list[dict]:
        from .history import image_history
        img = self.store.get(ref_or_id)
        return image_history(img, self.store.layer_sizes(img))

    def layer_digests(self, ref_or_id: str) -> list[str]:
        """Blob digests of the image's layers, bottom first (for create_image)."""
        return [d.digest for d in self.store.get(ref_or_id).layers]

    def disk_usage(self) -> dict:
        """For ``system df``: image count, total unpacked size, size of unused images."""
        used = {meta.get("image") for meta in self.snapshots.active().values()}
        infos = self.list()
        return {"Images": len(infos), "Active": sum(1 for i in infos if i.id in used),
                "Size": self.snapshots.usage(),
                "Reclaimable": sum(i.size for i in infos if i.id not in used)}

    # --- names --------------------------------------------------------------------------
    def tag(self, src: str, new_ref: str) -> None:
        target = reference.parse(new_ref)
        if target.digest:
            raise ImageError("refusing to create a tag with a digest reference")
        with self.store.index.update() as doc:
            image_id = self.store.resolve_id(src, doc)
            doc["tags"][target.tagged_name] = image_id

    def remove(self, ref_or_id: str, force: bool = False) -> list[dict]:
        return self.store.remove(ref_or_id, force=force)

    def prune(self, all: bool = False, filters: Optional[dict] = None) -> dict:
        """Remove dangling images (all unused ones with ``all``); docker's ImagesDeleted."""
        from .filters import match
        deleted: list[dict] = []
        freed = 0
        used = {meta.get("image") for meta in self.snapshots.active().values()}
        for info in self.list():
            if info.id in used or (info.repo_tags and not all):
                continue
            if filters and not match(info, filters, self):
                continue
            try:
                report = self.store.remove(info.id, force=True)
            except NotFound:
                continue
            deleted += report
            if any("Deleted" in item for item in report):
                freed += info.size
        freed += self.store.collect()
        return {"ImagesDeleted": deleted, "SpaceReclaimed": freed}

    # --- root filesystems ---------------------------------------------------------------
    def prepare_rootfs(self, image: Optional[str], key: str) -> RootfsMount:
        """Upper/work dirs for ``key`` over the image's layers (None / "scratch": empty)."""
        if image in SCRATCH:
            return self.snapshots.prepare(key, [], "", self._no_blob)
        img = self.store.get(image)
        self.ensure_unpacked(img)
        layers = img.layers
        return self.snapshots.prepare(key, img.chain, img.id,
                                      lambda i: self.content.open(layers[i].digest))

    @staticmethod
    def _no_blob(_i: int):
        raise ImageError("scratch has no layers")

    def release_rootfs(self, key: str, *, defer: bool = False) -> Optional[str]:
        """``defer``: rename only, return the path to delete (see Snapshotter.release)."""
        return self.snapshots.release(key, defer=defer)

    def ensure_unpacked(self, img: Image, on_event: Optional[Callable] = None) -> None:
        layers, diff_ids, chain = img.layers, img.diff_ids, img.chain
        if len(layers) != len(diff_ids):
            raise ImageError(f"image {img.id[7:19]}: {len(layers)} layers in the manifest but "
                             f"{len(diff_ids)} diff ids in the config")
        for i, (desc, diff_id, chain_id) in enumerate(zip(layers, diff_ids, chain)):
            if self.snapshots.lookup(chain_id) is not None:
                continue
            if on_event:
                from ..events import Event
                on_event(Event("layer", desc.digest[7:19], "Extracting"))
            with self.content.open(desc.digest) as blob:
                path = self.snapshots.commit_layer(chain_id, chain[i - 1] if i else None, diff_id,
                                                   blob, f"layer {desc.digest[7:19]}")
            self._remember_layer(desc.digest, diff_id, desc.media_type, desc.size, path)

    def _remember_layer(self, digest: str, diff_id: str, media_type: str, size: int, snap=None) -> None:
        facts = self.store.index.layer(digest) or {}
        facts.update({"diff_id": diff_id, "media_type": media_type, "size": size})
        if snap is not None:
            from ..layout import read_json
            facts["unpacked_size"] = (read_json(snap / "meta.json", {}) or {}).get("size", 0)
        self.store.index.set_layer(digest, facts)

    def export_diff(self, key: str, dest_tar: str) -> str:
        """Write the changes made in ``key``'s upper dir as a layer tar; returns its diff id."""
        from ..snapshots.diff import export_upper
        return export_upper(self.snapshots.active_dir(key), dest_tar)

    # --- layers and images for the builder ----------------------------------------------
    def add_layer(self, tar_path: str | os.PathLike) -> tuple[str, str, int]:
        """Store a layer blob (tar, gzip or zstd); returns (diff_id, digest, size)."""
        from .layers import layer_facts
        digest = self.content.add_file(tar_path)
        diff_id, media_type = layer_facts(self.content.path(digest))
        size = self.content.size(digest)
        self._remember_layer(digest, diff_id, media_type, size)
        return diff_id, digest, size

    def create_image(self, config: dict, layer_digests: Iterable[str], tags: Iterable[str] = (),
                     history: Optional[list] = None) -> ImageInfo:
        """Write an OCI config + manifest for stored layers, index it and tag it."""
        from .layers import build_image
        return build_image(self, config, list(layer_digests), list(tags), history)

    def import_tarball(self, path: str | os.PathLike, ref: Optional[str] = None,
                       changes: Optional[list[str]] = None, message: str = "",
                       platform: str = "") -> ImageInfo:
        """``docker import``: a root filesystem tar becomes a one-layer image."""
        from .layers import import_rootfs
        return import_rootfs(self, path, ref, changes or [], message, platform)

    def commit_manifest(self, config_bytes: bytes, layers: list[mf.Descriptor],
                        tags: Iterable[str] = ()) -> ImageInfo:
        """Store config + an OCI manifest over ``layers`` (already stored) and register it."""
        config_digest = self.content.write_bytes(config_bytes)
        manifest = {"schemaVersion": 2, "mediaType": mf.OCI_MANIFEST,
                    "config": {"mediaType": mf.OCI_CONFIG, "digest": config_digest,
                               "size": len(config_bytes)},
                    "layers": [d.to_json() for d in layers]}
        manifest_digest = self.content.write_bytes(mf.canonical_json(manifest))
        tag_names = [reference.parse(t).tagged_name for t in tags]
        image_id, _moved = self.store.register(manifest_digest, mf.OCI_MANIFEST, tag_names)
        img = self.store.get(image_id)
        self.ensure_unpacked(img)
        return self.store.info(img)

    # --- archives and registries ----------------------------------------------------------
    def load(self, path, on_event: Optional[Callable] = None) -> list[str]:
        """``docker load``: a docker-save or OCI layout archive (tar, maybe compressed)."""
        from .archive import load_archive
        return load_archive(self, path, on_event)

    def save(self, refs: list[str], dest, format: str = "docker") -> None:
        """``docker save``: write images as one archive (docker format incl. OCI layout)."""
        from .archive import save_archive
        save_archive(self, refs, dest, format)

    def pull(self, ref: str, platform: str = "", on_event: Optional[Callable] = None,
             auth: Optional[dict] = None) -> ImageInfo:
        from ..registry.pull import pull_image
        return pull_image(self, ref, platform, on_event, auth)

    def list_tags(self, name: str, auth: Optional[dict] = None) -> list[str]:
        """Tags of a repository in its registry (``pull --all-tags``)."""
        from ..registry.pull import list_tags
        return list_tags(self, name, auth)

    def push(self, ref: str, on_event: Optional[Callable] = None, auth: Optional[dict] = None) -> str:
        from ..registry.push import push_image
        return push_image(self, ref, on_event, auth)
