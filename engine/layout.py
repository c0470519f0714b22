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

import os

from engine.records import record

# pathlib, json and tempfile are not imported here: importing this module for read_json /
# write_json or for Paths costs no pathlib (~10 ms with its urllib.parse / ipaddress imports);
# Layout objects import it when made (``Path`` stays available as engine.layout.Path).

DEFAULT_ROOT = "/var/lib/pycompose"
DEFAULT_RUNROOT = "/run/pycompose"


@record(frozen=True)
class Layout:
    root: Path
    runroot: Path

    @classmethod
    def from_env(cls, root: str | os.PathLike | None = None,
                 runroot: str | os.PathLike | None = None) -> "Layout":
        from pathlib import Path
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
        ensure_dirs(str(self.root), str(self.runroot))


def atomic_write(path: Path, data: bytes | str, mode: int = 0o644, *, sync_dir: bool = True) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same dir, fsync, rename, fsync dir
    (``sync_dir=False``: not the dir, for a private dir that is itself renamed into place)."""
    if isinstance(data, str):
        data = data.encode()
    folder = os.path.dirname(os.fspath(path)) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = _mkstemp(path)
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
    dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _mkstemp(path: Path) -> tuple[int, str]:
    """tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp") without
    importing tempfile (~11 ms): an exclusive create, mode 0600, a fresh random name."""
    folder, name = os.path.split(os.fspath(path))
    for _ in range(100):
        tmp = os.path.join(folder, f".{name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                           0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no usable temporary name for {path}")


def write_json(path: Path, obj, *, sync_dir: bool = True) -> None:
    import json
    atomic_write(path, json.dumps(obj, indent=1, sort_keys=True), sync_dir=sync_dir)


def read_json(path: Path, default=None):
    import json
    try:
        with open(path, "rb") as f:
            return json.loads(f.read())
    except FileNotFoundError:
        return default


# --- the same paths as plain strings (no pathlib) ------------------------------------------
_ENSURED = ("content/blobs/sha256", "content/ingest", "images", "snapshots", "containers",
            "networks", "volumes", "build", "locks", "tmp")
_ENSURED_RUN = ("containers", "netns", "mounts")


def absolute(path: "str | os.PathLike") -> str:
    """``str(Path(path).absolute())`` without pathlib: the same text (pathlib's parsing:
    repeated slashes and "." parts dropped, ".." kept, a leading "//" kept)."""
    text = os.fspath(path)
    if not text.startswith("/"):
        cwd = os.getcwd()
        text = cwd + "/" + text if text else cwd
    lead = "//" if text.startswith("//") and not text.startswith("///") else "/"
    parts = [p for p in text.split("/") if p and p != "."]
    return lead + "/".join(parts)


def ensure_dirs(root: str, runroot: str) -> None:
    """Create the store's directories (what Layout.ensure does)."""
    for base, subs in ((root, _ENSURED), (runroot, _ENSURED_RUN)):
        for sub in subs:
            d = base + "/" + sub
            try:
                os.mkdir(d)
            except FileExistsError:
                if not os.path.isdir(d):
                    raise
            except FileNotFoundError:
                os.makedirs(d, exist_ok=True)


class Paths:
    """The Layout paths the network commands use, as plain strings (``str(layout.X)``), for
    code that must not pay for pathlib. Engine keeps one (``engine.paths``)."""

    def __init__(self, root: str, runroot: str) -> None:
        self.root, self.runroot = root, runroot
        self.networks = root + "/networks"
        self.containers = root + "/containers"
        self.locks = root + "/locks"

    @classmethod
    def from_env(cls, root: "str | os.PathLike | None" = None,
                 runroot: "str | os.PathLike | None" = None) -> "Paths":
        """Like Layout.from_env (same environment variables and defaults, same text)."""
        return cls(absolute(root or os.environ.get("PYCOMPOSE_ROOT") or DEFAULT_ROOT),
                   absolute(runroot or os.environ.get("PYCOMPOSE_RUNROOT") or DEFAULT_RUNROOT))

    def ensure(self) -> None:
        ensure_dirs(self.root, self.runroot)

    def layout(self) -> "Layout":
        from pathlib import Path
        return Layout(Path(self.root), Path(self.runroot))

    def container_dir(self, cid: str) -> str:
        return f"{self.containers}/{cid}"

    def network_dir(self, net_id: str) -> str:
        return f"{self.networks}/{net_id}"

    def lock_file(self, name: str) -> str:
        return f"{self.locks}/{name}.lock"

    def sandbox_file(self, cid: str) -> str:
        return f"{self.runroot}/sandboxes/{cid}.json"

    def netns_path(self, cid: str) -> str:
        return f"{self.runroot}/netns/{cid}"

    @property
    def netd_socket(self) -> str:
        return self.runroot + "/netd.sock"


def __getattr__(name: str):
    if name == "Path":                           # engine.layout.Path, as before
        from pathlib import Path
        return Path
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
