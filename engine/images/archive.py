"""``docker load`` / ``docker save`` archives.

save writes the archive Docker 25+ writes: an OCI image layout (oci-layout, index.json,
blobs/sha256/*) plus the legacy ``manifest.json`` (Config/RepoTags/Layers paths into blobs/)
and ``repositories``, so both OCI tools and every Docker version can load it. Blobs are
written as stored, so manifest and config digests survive a save -> load round trip.

load accepts either format (tar, optionally gzip/bzip2/xz/zstd compressed): an archive with
index.json is read as an OCI layout (nested indexes resolved for the host platform, names
from the ``io.containerd.image.name`` / ``org.opencontainers.image.ref.name`` annotations);
otherwise manifest.json is read (docker save format, any Docker version). Every blob is
verified against its digest and every layer against the config's diff ids before the
image is indexed.
"""
from __future__ import annotations

import io
import json
import os
import posixpath
import shutil
import tarfile
from pathlib import Path
from typing import Callable, Optional

from .. import reference
from ..errors import ImageError, InvalidArgument, NotFound
from ..events import Event
from ..unpack.compression import ZSTD_MAGIC
from . import manifest as mf
from .index import tags_of

Sink = Optional[Callable[[Event], None]]


# --------------------------------------------------------------------------- load

def _extract(src, dest: Path) -> None:
    """Extract the archive safely (no absolute paths, no links leaving ``dest``)."""
    if isinstance(src, (str, os.PathLike)):
        if not os.path.isfile(src):
            raise InvalidArgument(f"open {src}: no such file or directory")
        raw = open(src, "rb")
    else:
        raw = src
    try:
        buffered = io.BufferedReader(raw, 1 << 20) if not hasattr(raw, "peek") else raw
        if buffered.peek(4)[:4] == ZSTD_MAGIC:
            import zstandard
            stream = zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True)
            mode = "r|"
        else:
            stream, mode = buffered, "r|*"
        with tarfile.open(fileobj=stream, mode=mode) as tf:
            tf.extractall(dest, filter="data")
    except (tarfile.TarError, EOFError, OSError, ValueError) as e:
        if isinstance(e, OSError) and e.errno == 28:
            raise ImageError("no space left on device while loading the archive") from None
        raise ImageError(f"the archive is not a valid image archive: {e}") from None
    finally:
        if raw is not src:
            raw.close()


def _file(root: Path, rel: str) -> Path:
    path = (root / posixpath.normpath(rel).lstrip("/")).resolve()
    if not str(path).startswith(str(root.resolve()) + os.sep) or not path.is_file():
        raise ImageError(f"invalid archive: {rel!r} is missing")
    return path


def _read_json(root: Path, rel: str, what: str):
    try:
        return json.loads(_file(root, rel).read_bytes())
    except ValueError as e:
        raise ImageError(f"invalid archive: {what} is not valid JSON ({e})") from None


def load_archive(svc, src, on_event: Sink = None) -> list[str]:
    """Load every image in the archive; returns "Loaded image: name:tag" style lines."""
    work = svc.layout.tmp / f"load-{os.urandom(16).hex()}"
    work.mkdir(parents=True)
    try:
        _extract(src, work)
        if (work / "index.json").is_file():
            loaded = _load_oci(svc, work)
        elif (work / "manifest.json").is_file():
            loaded = _load_docker(svc, work)
        else:
            raise ImageError("the archive is not a valid image archive: "
                             "it has neither manifest.json nor index.json")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = []
    for image_id, tags in loaded:
        for tag in tags:
            lines.append(f"Loaded image: {reference.familiar(tag)}")
        if not tags:
            lines.append(f"Loaded image ID: {image_id}")
    for line in lines:
        if on_event:
            on_event(Event("image", line.rpartition(": ")[2], "Loaded"))
    return lines


def _load_docker(svc, root: Path) -> list[tuple[str, list[str]]]:
    entries = _read_json(root, "manifest.json", "manifest.json")
    if not isinstance(entries, list):
        raise ImageError("invalid archive: manifest.json must be a list")
    loaded = []
    for entry in entries:
        config_bytes = _file(root, entry["Config"]).read_bytes()
        config = mf.loads(config_bytes, "image config")
        diff_ids = mf.diff_ids_of(config)
        layer_paths = entry.get("Layers") or []
        if len(layer_paths) != len(diff_ids):
            raise ImageError(f"invalid archive: {len(layer_paths)} layers but {len(diff_ids)} diff ids")
        digests = []
        for rel, want in zip(layer_paths, diff_ids):
            got_diff, digest, _size = svc.add_layer(_file(root, rel))
            if got_diff != want:
                raise ImageError(f"invalid archive: layer {rel} does not match its diff id {want}")
            digests.append(digest)
        tags = [reference.parse(t).tagged_name for t in entry.get("RepoTags") or []]
        descs = [mf.Descriptor(svc.store.index.layer(d)["media_type"], d, svc.content.size(d))
                 for d in digests]
        info = svc.commit_manifest(config_bytes, descs, tags)
        loaded.append((info.id, tags))
    return loaded


def _ingest_blob(svc, root: Path, desc: mf.Descriptor) -> None:
    if svc.content.has(desc.digest):
        return
    path = _file(root, f"blobs/sha256/{desc.digest.partition(':')[2]}")
    svc.content.add_file(path, expected=desc.digest)


def _names_of(desc: mf.Descriptor) -> list[str]:
    ann = desc.annotations or {}
    for key in ("io.containerd.image.name", "org.opencontainers.image.ref.name"):
        value = ann.get(key, "")
        if value and ("/" in value or ":" in value or key.startswith("io.")) \
                and reference.is_valid(value):
            return [reference.parse(value).tagged_name]
    return []


def _load_oci(svc, root: Path) -> list[tuple[str, list[str]]]:
    index = _read_json(root, "index.json", "index.json")
    loaded: dict[str, list[str]] = {}
    for desc in [mf.Descriptor.from_json(d) for d in index.get("manifests", [])]:
        names = _names_of(desc)
        manifest_desc = desc
        if desc.media_type in mf.INDEX_TYPES:
            _ingest_blob(svc, root, desc)
            entries = mf.parse_index(svc.content.read(desc.digest))
            present = [e for e in entries if (root / "blobs/sha256" / e.digest.partition(":")[2]).is_file()]
            chosen = mf.select_manifest(present, mf.host_platform())
            if chosen is None:
                raise ImageError("the archive has no image for platform "
                                 + mf.format_platform(mf.host_platform()))
            manifest_desc = chosen
        _ingest_blob(svc, root, manifest_desc)
        config_desc, layers = mf.parse_manifest(svc.content.read(manifest_desc.digest))
        for blob in [config_desc, *layers]:
            _ingest_blob(svc, root, blob)
        config = mf.loads(svc.content.read(config_desc.digest), "image config")
        for blob, diff_id in zip(layers, mf.diff_ids_of(config)):
            if svc.store.index.layer(blob.digest) is None:
                svc._remember_layer(blob.digest, diff_id, blob.media_type, blob.size)
        image_id, _ = svc.store.register(manifest_desc.digest, manifest_desc.media_type, names)
        svc.ensure_unpacked(svc.store.get(image_id))
        loaded.setdefault(image_id, []).extend(n for n in names if n not in loaded.get(image_id, []))
    return list(loaded.items())


# --------------------------------------------------------------------------- save

def _add(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, 0
    tf.addfile(info, io.BytesIO(data))


def _add_dir(tf: tarfile.TarFile, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
    tf.addfile(info)


def _selected(svc, refs: list[str]) -> list[tuple[object, list[str]]]:
    """(image, tagged names to record) per requested reference, in order, merged by image."""
    doc = svc.store.index.read()
    chosen: dict[str, list[str]] = {}
    images = {}
    for ref in refs:
        image_id = svc.store.resolve_id(ref, doc)
        images[image_id] = svc.store.load_image(image_id, doc)
        names = chosen.setdefault(image_id, [])
        try:
            parsed = reference.parse(ref)
            if parsed.tag and not parsed.digest and doc["tags"].get(parsed.tagged_name) == image_id:
                if parsed.tagged_name not in names:
                    names.append(parsed.tagged_name)
            elif not parsed.tag:
                names.extend(t for t in tags_of(doc, image_id)
                             if t.rpartition(":")[0] == parsed.name and t not in names)
        except ImageError:
            pass                    # an id: saved without names
    return [(images[i], names) for i, names in chosen.items()]


def save_archive(svc, refs: list[str], dest, fmt: str = "docker") -> None:
    if not refs:
        raise InvalidArgument("save needs at least one image")
    if fmt not in ("docker", "oci"):
        raise InvalidArgument(f"unknown archive format {fmt!r} (use docker or oci)")
    selected = _selected(svc, refs)
    to_path = isinstance(dest, (str, os.PathLike))
    out = open(str(dest) + ".tmp", "wb") if to_path else dest
    try:
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tf:
            _write_layout(svc, tf, selected, legacy=(fmt == "docker"))
        if to_path:
            out.close()
            os.replace(str(dest) + ".tmp", dest)
    except OSError as e:
        raise ImageError(f"cannot write the archive: {e.strerror or e}") from None
    except NotFound as e:
        raise ImageError(f"cannot save: {e}") from None
    finally:
        if to_path and not out.closed:
            out.close()
        if to_path and os.path.exists(str(dest) + ".tmp"):
            os.unlink(str(dest) + ".tmp")


def _write_layout(svc, tf: tarfile.TarFile, selected, legacy: bool) -> None:
    _add_dir(tf, "blobs")
    _add_dir(tf, "blobs/sha256")
    written: set[str] = set()

    def blob(digest: str) -> str:
        rel = f"blobs/sha256/{digest.partition(':')[2]}"
        if digest not in written:
            written.add(digest)
            with svc.content.open(digest) as f:
                info = tarfile.TarInfo(rel)
                info.size, info.mode, info.mtime = svc.content.size(digest), 0o644, 0
                tf.addfile(info, f)
        return rel

    index_entries, manifest_json, repositories = [], [], {}
    for image, names in selected:
        layer_paths = [blob(d.digest) for d in image.layers]
        config_path = blob(image.id)
        blob(image.manifest_digest)
        desc = {"mediaType": image.record.get("media_type") or mf.OCI_MANIFEST,
                "digest": image.manifest_digest, "size": svc.content.size(image.manifest_digest)}
        for name in names or [None]:
            entry = dict(desc)
            if name:
                entry["annotations"] = {"io.containerd.image.name": name,
                                        "org.opencontainers.image.ref.name": name.rpartition(":")[2]}
                repo, _, tag = reference.familiar(name).rpartition(":")
                if image.layers:
                    repositories.setdefault(repo, {})[tag] = image.layers[-1].digest[7:]
            index_entries.append(entry)
        manifest_json.append({"Config": config_path,
                              "RepoTags": [reference.familiar(n) for n in names] or None,
                              "Layers": layer_paths})
    index = {"schemaVersion": 2, "mediaType": mf.OCI_INDEX, "manifests": index_entries}
    _add(tf, "index.json", json.dumps(index).encode())
    if legacy:
        _add(tf, "manifest.json", json.dumps(manifest_json).encode())
        if repositories:
            _add(tf, "repositories", json.dumps(repositories).encode())
    _add(tf, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
