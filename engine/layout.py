"""The one module that knows where the engine keeps things on disk.

root (persistent, default /var/lib/pycompose; --root / PYCOMPOSE_ROOT):
    content/blobs/sha256/<hex>      immutable blobs (layers, configs, manifests)
    content/ingest/<key>            partial downloads (resumable), renamed into blobs/ when verified
    images/                         image index: name:tag -> manifest digest (images.json)
    snapshots/<id>/{fs,work}        overlay snapshots; metadata in snapshots/metadata.json
    containers/<id>/                config.json, state.json, container log (json-file), hosts, ...
    networks/                       one JSON per network + IPAM allocations
    volumes/<name>/_data            named volume data, meta in volumes/<name>/volume.json
    build/                          build cache records
    locks/                          flock lock files (see lock order in engine/locks.py)
runroot (tmpfs, vanishes on reboot, default /run/pycompose; PYCOMPOSE_RUNROOT):
    containers/<id>/                shim pid, control socket, exit status of the current run
    netns/<id>                      bind-mounted network namespaces
    mounts/<id>/                    mounted container rootfs (overlay)

All writes of state files go through ``atomic_write`` (temp in same dir -> fsync -> rename ->
fsync dir). Liveness is never read from these files alone: pid + start time is checked against
/proc.
"""
from __future__ import annotations

import json
import os
import tempfile
from engine.records import record
from pathlib import Path

DEFAULT_ROOT = "/var/lib/pycompose"
DEFAULT_RUNROOT = "/run/pycompose"


@record(frozen=True)
class Layout:
    root: Path
    runroot: Path

    @classmethod
    def from_env(cls, root: str | os.PathLike | None = None,
                 runroot: str | os.PathLike | None = None) -> "Layout":
        r = Path(root or os.environ.get("PYCOMPOSE_ROOT") or DEFAULT_ROOT)
        rr = Path(runroot or os.environ.get("PYCOMPOSE_RUNROOT") or DEFAULT_RUNROOT)
        return cls(r.absolute(), rr.absolute())

    # --- persistent -------------------------------------------------------------------------
    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def blobs(self) -> Path:
        return self.content / "blobs" / "sha256"

    @property
    def ingest(self) -> Path:
        return self.content / "ingest"

    @property
    def images(self) -> Path:
        return self.root / "images"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    @property
    def containers(self) -> Path:
        return self.root / "containers"

    @property
    def networks(self) -> Path:
        return self.root / "networks"

    @property
    def volumes(self) -> Path:
        return self.root / "volumes"

    @property
    def build_cache(self) -> Path:
        return self.root / "build"

    @property
    def locks(self) -> Path:
        return self.root / "locks"

    @property
    def tmp(self) -> Path:
        """Scratch space on the same filesystem as the store (for renames into it)."""
        return self.root / "tmp"

    def blob(self, digest: str) -> Path:
        algo, _, hexpart = digest.partition(":")
        if algo != "sha256" or len(hexpart) != 64 or not all(c in "0123456789abcdef" for c in hexpart):
            from .errors import InvalidArgument
            raise InvalidArgument(f"invalid digest {digest!r}")
        return self.blobs / hexpart

    def container_dir(self, cid: str) -> Path:
        return self.containers / cid

    def volume_dir(self, name: str) -> Path:
        return self.volumes / name

    # --- run state (tmpfs) ------------------------------------------------------------------
    def container_run_dir(self, cid: str) -> Path:
        return self.runroot / "containers" / cid

    def netns_path(self, cid: str) -> Path:
        return self.runroot / "netns" / cid

    def rootfs_mount(self, cid: str) -> Path:
        return self.runroot / "mounts" / cid

    def network_dir(self, net_id: str) -> Path:
        """networks/<id>/: network.json (config) + endpoints.json (live endpoints, read by DNS)."""
        return self.networks / net_id

    def sandbox_file(self, cid: str) -> Path:
        """What setup_sandbox created for a container (veths, ports), for teardown."""
        return self.runroot / "sandboxes" / f"{cid}.json"

    @property
    def netd_socket(self) -> Path:
        """Control socket of the network helper process (embedded DNS, port holders)."""
        return self.runroot / "netd.sock"

    @property
    def overlay_probe_cache(self) -> Path:
        """Whether overlayfs works on the snapshot store, cached per boot (snapshots/mounts.py)."""
        return self.runroot / "overlay-probe"

    def lock_file(self, name: str) -> Path:
        return self.locks / f"{name}.lock"

    def compose_files(self, project: str) -> Path:
        """Files compose writes for a project (secrets/configs from content or environment)."""
        return self.root / "compose" / project

    def ensure(self) -> None:
        for d in (self.blobs, self.ingest, self.images, self.snapshots, self.containers,
                  self.networks, self.volumes, self.build_cache, self.locks, self.tmp,
                  self.runroot / "containers", self.runroot / "netns", self.runroot / "mounts"):
            d.mkdir(parents=True, exist_ok=True)


def atomic_write(path: Path, data: bytes | str, mode: int = 0o644, *, sync_dir: bool = True) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same dir, fsync, rename, fsync dir
    (``sync_dir=False``: not the dir, for a private dir that is itself renamed into place)."""
    if isinstance(data, str):
        data = data.encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if not sync_dir:
        return
    dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def write_json(path: Path, obj, *, sync_dir: bool = True) -> None:
    atomic_write(path, json.dumps(obj, indent=1, sort_keys=True), sync_dir=sync_dir)


def read_json(path: Path, default=None):
    try:
        with open(path, "rb") as f:
            return json.loads(f.read())
    except FileNotFoundError:
        return default
