"""Overlay snapshotter: committed layers keyed by chain id, active snapshots per key.

On disk (under layout.snapshots):
    <sid>/fs, <sid>/meta.json    committed layer (overlay format: whiteouts are 0/0 char
                                 devices, opaque dirs carry trusted.overlay.opaque=y);
                                 sid = first 16 hex of the chain id (longer on a clash)
    flat/<sid>/fs                 the layers up to a chain id applied into one directory,
                                 used when a deep image's lowerdir list would not fit in the
                                 one-page overlay mount data
    active/<key>/{fs,work}        a container's (or build step's) upper and work dirs;
                                 active/<key>/meta.json names the image and chain
    tmp/                          staging: a snapshot is unpacked here, then renamed into
                                 place (atomic; a concurrent unpack of the same layer loses
                                 the rename race harmlessly)

Committed snapshots are shared by every image whose chain contains them and stored once.
Without overlay support (PYCOMPOSE_SNAPSHOTTER=native or a failed probe) an active
snapshot is a full copy: all layers applied into active/<key>/fs (type "bind").
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import BinaryIO, Callable, Optional

from ..errors import ImageError, InvalidArgument
from ..layout import Layout, read_json, write_json
from ..types import RootfsMount
from ..unpack.apply import apply_layer

OpenBlob = Callable[[int], BinaryIO]        # index in the chain -> layer blob stream
MOUNT_DATA_MARGIN = 200                      # room for options the runtime may add


class Snapshotter:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.root = layout.snapshots

    # --- committed ------------------------------------------------------------------------
    def _candidates(self, chain_id: str):
        hexpart = chain_id.partition(":")[2]
        for n in (16, 24, 32, 64):
            yield hexpart[:n]

    def lookup(self, chain_id: str) -> Optional[Path]:
        """The committed snapshot dir (containing fs/) for ``chain_id``, or None."""
        for sid in self._candidates(chain_id):
            meta = read_json(self.root / sid / "meta.json", None)
            if meta is None:
                return None
            if meta.get("chain_id") == chain_id:
                return self.root / sid
        return None

    def _free_sid(self, chain_id: str) -> str:
        for sid in self._candidates(chain_id):
            meta = read_json(self.root / sid / "meta.json", None)
            if meta is None or meta.get("chain_id") == chain_id:
                return sid
        raise ImageError(f"snapshot id clash for {chain_id}")

    def _staging(self) -> Path:
        d = self.root / "tmp" / os.urandom(16).hex()
        (d / "fs").mkdir(parents=True)
        return d

    def commit_layer(self, chain_id: str, parent: Optional[str], diff_id: str,
                     blob: BinaryIO, what: str = "layer") -> Path:
        """Unpack ``blob`` as the snapshot for ``chain_id`` (no-op if it exists)."""
        existing = self.lookup(chain_id)
        if existing is not None:
            return existing
        staging = self.unpack_staging(blob, diff_id, what)
        return self.publish(staging, chain_id, parent)

    def unpack_staging(self, blob: BinaryIO, diff_id: str, what: str = "layer") -> Path:
        """Unpack into a private staging dir and check the diff id; publish() makes it visible."""
        staging = self._staging()
        try:
            got, size = apply_layer(blob, staging / "fs", "overlay", what)
            if got != diff_id:
                raise ImageError(f"{what}: content does not match its diff id "
                                 f"(expected {diff_id}, got {got})")
            write_json(staging / "meta.json", {"diff_id": diff_id, "size": size})
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return staging

    def discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def publish(self, staging: Path, chain_id: str, parent: Optional[str]) -> Path:
        """Rename an unpacked staging dir into place as ``chain_id`` (a lost race is fine)."""
        try:
            meta = read_json(staging / "meta.json", {}) or {}
            write_json(staging / "meta.json", dict(meta, chain_id=chain_id, parent=parent))
            if self.lookup(chain_id) is None:
                sid = self._free_sid(chain_id)
                try:
                    os.rename(staging, self.root / sid)
                except OSError:
                    if self.lookup(chain_id) is None:      # not a lost race: a real failure
                        raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        found = self.lookup(chain_id)
        assert found is not None
        return found

    def size(self, chain_id: str) -> int:
        d = self.lookup(chain_id)
        return int((read_json(d / "meta.json", {}) or {}).get("size", 0)) if d else 0

    def remove(self, chain_id: str) -> None:
        d = self.lookup(chain_id)
        if d is None:
            return
        trash = self.root / "tmp" / ("rm-" + os.urandom(16).hex())
        trash.parent.mkdir(parents=True, exist_ok=True)
        os.rename(d, trash)
        shutil.rmtree(trash, ignore_errors=True)
        for flat in self._flat_dirs():
            if read_json(flat / "meta.json", {}).get("chain_id") == chain_id:
                shutil.rmtree(flat, ignore_errors=True)

    def committed(self) -> list[dict]:
        out = []
        for entry in os.scandir(self.root):
            if entry.is_dir() and entry.name not in ("tmp", "active", "flat"):
                meta = read_json(Path(entry.path) / "meta.json", None)
                if meta:
                    out.append(meta)
        return out

    # --- active ---------------------------------------------------------------------------
    def active_dir(self, key: str) -> Path:
        if not key or "/" in key or key in (".", ".."):
            raise InvalidArgument(f"invalid snapshot key {key!r}")
        return self.root / "active" / key

    def active(self) -> dict[str, dict]:
        out = {}
        base = self.root / "active"
        if base.is_dir():
            for entry in os.scandir(base):
                out[entry.name] = read_json(Path(entry.path) / "meta.json", {}) or {}
        return out

    def prepare(self, key: str, chain: list[str], image_id: str, open_blob: OpenBlob) -> RootfsMount:
        """Upper/work dirs for ``key`` over the committed layers of ``chain`` (bottom first)."""
        adir = self.active_dir(key)
        meta = {"image": image_id, "chain": chain}
        from .mounts import overlay_supported  # ctypes: only when a rootfs is prepared
        use_overlay = overlay_supported(str(self.root), str(self.layout.overlay_probe_cache))
        if not adir.exists():
            staging = self._staging()
            (staging / "work").mkdir()
            if not use_overlay:
                for i, _chain_id in enumerate(chain):
                    with open_blob(i) as blob:
                        apply_layer(blob, staging / "fs", "delete", f"layer {i + 1}")
            # file fsync kept (its content is durable before the rename that publishes it);
            # no fsync of the staging dir: it is renamed into active/ right after, so that
            # fsync made nothing durable that a crash could need (the rename itself was never
            # synced: a crash before the container's fsync'd config.json loses both alike)
            write_json(staging / "meta.json", dict(meta, type="overlay" if use_overlay else "bind"),
                       sync_dir=False)
            adir.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(staging, adir)
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)
        recorded = read_json(adir / "meta.json", {}) or {}
        if recorded.get("chain") != chain:
            from ..errors import Conflict
            raise Conflict(f"root filesystem {key!r} already exists for another image "
                           f"({(recorded.get('image') or 'scratch')[7:19] or 'scratch'})")
        if recorded.get("type") == "bind":
            return RootfsMount(type="bind", source=str(adir / "fs"))
        upper, work = str(adir / "fs"), str(adir / "work")
        return RootfsMount(type="overlay", lowerdirs=self._lowerdirs(chain, open_blob, upper, work),
                           upperdir=upper, workdir=work)

    def _lowerdirs(self, chain: list[str], open_blob: OpenBlob, upper: str, work: str) -> tuple[str, ...]:
        dirs = [str(self.lookup(c) / "fs") for c in chain]
        if not dirs:
            empty = self.root / "empty"
            empty.mkdir(exist_ok=True)
            return (str(empty),)
        dirs.reverse()                                    # top-most first
        from .mounts import PAGE_LIMIT
        budget = PAGE_LIMIT - MOUNT_DATA_MARGIN - len("lowerdir=,upperdir=,workdir=") - len(upper) - len(work)
        if len(":".join(dirs)) <= budget:
            return tuple(dirs)
        flat_path_len = len(str(self.root / "flat" / ("f" * 16) / "fs")) + 1
        keep, used = 0, flat_path_len
        while keep < len(dirs) and used + len(dirs[keep]) + 1 <= budget:
            used += len(dirs[keep]) + 1
            keep += 1
        cut = len(chain) - keep                           # layers 0..cut-1 are flattened
        flat = self._flatten(chain[:cut], open_blob)
        return tuple(dirs[:keep]) + (str(flat),)

    def _flat_dirs(self):
        base = self.root / "flat"
        return [Path(e.path) for e in os.scandir(base)] if base.is_dir() else []

    def _flatten(self, chain: list[str], open_blob: OpenBlob) -> Path:
        top = chain[-1]
        target = self.root / "flat" / top.partition(":")[2][:16]
        if (target / "meta.json").exists():
            return target / "fs"
        staging = self._staging()
        try:
            for i in range(len(chain)):
                with open_blob(i) as blob:
                    apply_layer(blob, staging / "fs", "delete", f"layer {i + 1}")
            write_json(staging / "meta.json", {"chain_id": top})
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(staging, target)
            except OSError:
                if not (target / "meta.json").exists():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target / "fs"

    def release(self, key: str, *, defer: bool = False) -> Optional[str]:
        """Remove the active snapshot ``key``. ``defer``: only rename it out of sight and
        return the renamed path (the caller deletes it, engine/trash.py)."""
        adir = self.active_dir(key)
        if not adir.exists():
            return None
        mountpoint = _mounted_with_upper(str(adir / "fs"))
        if mountpoint:
            from ..errors import Conflict
            raise Conflict(f"cannot release the root filesystem of {key}: it is still mounted on "
                           f"{mountpoint} (unmount it first)")
        trash = self.root / "tmp" / ("rm-" + os.urandom(16).hex())
        trash.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(adir, trash)
        except OSError as e:
            raise ImageError(f"cannot release the root filesystem of {key}: {e.strerror}") from None
        if defer:
            return str(trash)
        shutil.rmtree(trash, ignore_errors=True)
        return None

    def trash_path(self) -> Path:
        """A fresh ``tmp/rm-*`` name on the store's filesystem (cleaned by clean_staging)."""
        path = self.root / "tmp" / ("rm-" + os.urandom(16).hex())
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def clean_staging(self, older_than: float = 3600.0) -> None:
        """Remove staging dirs left by crashed processes (unpacks and removals)."""
        import time
        base = self.root / "tmp"
        if not base.is_dir():
            return
        for entry in os.scandir(base):
            try:
                if time.time() - entry.stat(follow_symlinks=False).st_mtime > older_than:
                    shutil.rmtree(entry.path, ignore_errors=True)
            except FileNotFoundError:
                continue

    def usage(self) -> int:
        total = 0
        for meta in self.committed():
            total += int(meta.get("size", 0))
        return total

    def meta_json(self) -> str:
        return json.dumps({"committed": self.committed(), "active": self.active()}, indent=1)


def _mounted_with_upper(upper: str) -> str:
    """Mount point of an overlay (in this mount namespace) using ``upper``, or ""."""
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split()
                if " - overlay " in line and f"upperdir={upper}," in line.rstrip("\n") + ",":
                    return fields[4].replace("\\040", " ")
    except OSError:
        pass
    return ""
