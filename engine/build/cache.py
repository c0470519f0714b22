"""The build cache: step records and the layer directories they point at.

On disk (under layout.build_cache):
    records/<key hex>.json     {"diff_id", "digest", "size", "layer": "<dir name>",
                                "created", "empty": bool}   one per file-system step
    images/<key hex>.json      {"image_id"}: the final image made from a stage state
    layers/<dir name>/         the layer in overlay format (a lowerdir for later steps);
                               dir name = first 24 hex of the diff id
    contexts/<hash>.json       the stat cache of one build context directory
    mounts/<id>/               RUN --mount=type=cache directories
    remote/git-<hash>/         checkouts of git contexts, remote/http-<hash>/ URL contexts
Scratch work goes to layout.tmp/build-<random>/ (same file system, so finished upper dirs
are renamed into layers/).

A record is only trusted while its layer directory and its blob still exist; otherwise the
step runs again. Records are written after the layer is in place (atomic writes), so a
crash leaves at worst an unused layer directory.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from ..layout import read_json, write_json
from .diff import write_layer_tar
from .state import LayerRec


def now_rfc3339() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1e9):09d}Z"


class BuildCache:
    def __init__(self, engine) -> None:
        self.engine = engine
        self.layout = engine.layout
        self.root = Path(self.layout.build_cache)
        for sub in ("records", "images", "layers", "contexts", "mounts"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    # --- records ------------------------------------------------------------------------
    def _record_path(self, kind: str, key: str) -> Path:
        return self.root / kind / (key.partition(":")[2] + ".json")

    def get_step(self, key: str) -> dict | None:
        rec = read_json(self._record_path("records", key), None)
        if not rec:
            return None
        if rec.get("empty"):
            return rec
        layer_dir = self.root / "layers" / rec["layer"]
        if not layer_dir.is_dir() or not self.layout.blob(rec["digest"]).exists():
            return None
        return rec

    def layer_of(self, rec: dict) -> LayerRec | None:
        if rec.get("empty"):
            return None
        layer_dir = rec.get("dir") or str(self.root / "layers" / rec["layer"])   # dir: cache_from
        return LayerRec(rec["diff_id"], rec["digest"], rec["size"], layer_dir)

    def put_step(self, key: str, layer: LayerRec | None, created: str) -> dict:
        if layer is None:
            rec = {"empty": True, "created": created}
        else:
            rec = {"diff_id": layer.diff_id, "digest": layer.digest, "size": layer.size,
                   "layer": os.path.basename(layer.dir), "created": created}
        write_json(self._record_path("records", key), rec)
        return rec

    def get_image(self, key: str) -> str | None:
        rec = read_json(self._record_path("images", key), None)
        return rec.get("image_id") if rec else None

    def put_image(self, key: str, image_id: str) -> None:
        write_json(self._record_path("images", key), {"image_id": image_id})

    # --- scratch space and layers ---------------------------------------------------------
    def scratch(self) -> Path:
        self.layout.tmp.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="build-", dir=self.layout.tmp))

    def commit_upper(self, upper: Path, scratch: Path) -> LayerRec | None:
        """Turn a finished upper dir into a stored layer (None when nothing changed)."""
        if not any(os.scandir(upper)):
            return None
        tar_path = scratch / "layer.tar"
        write_layer_tar(upper, tar_path)
        diff_id, digest, size = self.engine.images.add_layer(tar_path)
        name = diff_id.partition(":")[2][:24]
        target = self.root / "layers" / name
        if not target.exists():
            try:
                os.rename(upper, target)
            except OSError:
                if not target.exists():
                    raise
        return LayerRec(diff_id, digest, size, str(target))

    def context_stat_file(self, directory: Path) -> Path:
        h = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:24]
        return self.root / "contexts" / f"{h}.json"

    def flatten(self, lowers: list[str], fit) -> str:
        """One directory holding the merged view of ``lowers`` (top-most first).

        Used when a stage has more layers than one overlay mount can list; ``fit`` makes
        the list for the mount that reads them fit as well (recursively)."""
        key = hashlib.sha256(":".join(lowers).encode()).hexdigest()[:24]
        target = self.root / "flat" / key
        if target.is_dir():
            return str(target)
        from .mounting import overlay_mounted
        scratch = self.scratch()
        try:
            for sub in ("u", "w", "m", "fs"):
                (scratch / sub).mkdir()
            with overlay_mounted(fit(lowers), str(scratch / "u"), str(scratch / "w"),
                                 str(scratch / "m")) as merged:
                subprocess.run(["cp", "-a", "--", f"{merged}/.", str(scratch / "fs")],
                               check=True, capture_output=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(scratch / "fs", target)
            except OSError:
                if not target.is_dir():
                    raise
        except subprocess.CalledProcessError as e:
            from ..errors import BuildError
            raise BuildError(f"cannot flatten build layers: {e.stderr.decode(errors='replace')}") from None
        finally:
            self.discard(scratch)
        return str(target)

    def cache_mount_dir(self, mount_id: str) -> Path:
        h = hashlib.sha256(mount_id.encode()).hexdigest()[:24]
        path = self.root / "mounts" / h
        path.mkdir(parents=True, exist_ok=True)
        return path

    def empty_dir(self) -> str:
        path = self.root / "empty"
        path.mkdir(exist_ok=True)
        return str(path)

    @staticmethod
    def discard(path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)

    def prune(self) -> int:
        """Drop every record and layer directory (``builder prune``); returns bytes freed."""
        freed = 0
        for sub in ("records", "images", "layers", "mounts", "contexts", "flat", "downloads", "remote"):
            base = self.root / sub
            for dirpath, _dirs, files in os.walk(base):
                for f in files:
                    try:
                        freed += os.lstat(os.path.join(dirpath, f)).st_size
                    except OSError:
                        pass
            trash = self.layout.tmp / ("rm-" + uuid.uuid4().hex)
            try:
                os.rename(base, trash)
            except OSError:
                continue
            shutil.rmtree(trash, ignore_errors=True)
            base.mkdir(parents=True, exist_ok=True)
        return freed
