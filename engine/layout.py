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
    atomic_write(path, dumps(obj, indent=1, sort_keys=True), sync_dir=sync_dir)


def read_json(path: Path, default=None):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return default
    return loads(data)


# --- JSON without the json package ---------------------------------------------------------
# The json package imports re and compiles its patterns (~4 ms; re itself ~10-15 ms when
# nothing else loaded it). These give exactly json.loads / json.dumps(obj, indent=,
# sort_keys=) through the C helpers of _json, and hand anything unusual to the json package.

class _DecoderContext:
    """What json.JSONDecoder() hands _json.make_scanner (the defaults of json.loads)."""
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"),
                      "NaN": float("nan")}.__getitem__
    memo: dict = {}


_C_JSON: list = []


def _c_json():
    """(scanner, encode_basestring_ascii) of the _json C module, or None without it."""
    if not _C_JSON:
        try:
            from _json import encode_basestring_ascii, make_scanner
            _C_JSON.append((make_scanner(_DecoderContext()), encode_basestring_ascii))
        except ImportError:
            _C_JSON.append(None)
    return _C_JSON[0]


def loads(data: "bytes | str"):
    """json.loads(data): one plain UTF-8 JSON document through the C scanner; the json
    package decides (and raises its own errors) for anything else."""
    helpers = _c_json()
    if helpers is not None:
        try:
            text = data.decode() if isinstance(data, bytes) else data
            value, end = helpers[0](text, 0)
        except (UnicodeDecodeError, StopIteration, ValueError):
            pass
        else:
            if end == len(text) or not text[end:].strip(" \t\n\r"):
                return value
    import json
    return json.loads(data)


class _Unusual(Exception):
    """A value the lean encoder leaves to the json package."""


def dumps(obj, *, indent: "int | None" = None, sort_keys: bool = False) -> str:
    """json.dumps(obj, indent=indent, sort_keys=sort_keys), the same text."""
    helpers = _c_json()
    if helpers is not None:
        try:
            pad = None if indent is None else " " * indent
            return _encode(obj, helpers[1], pad, sort_keys, 0)
        except (_Unusual, RecursionError):
            pass
    import json
    return json.dumps(obj, indent=indent, sort_keys=sort_keys)


def _encode(obj, quote, pad, sort_keys: bool, level: int) -> str:
    kind = type(obj)
    if kind is str:
        return quote(obj)
    if obj is None:
        return "null"
    if obj is True:
        return "true"
    if obj is False:
        return "false"
    if kind is int:
        return int.__repr__(obj)
    if kind is float:
        if obj != obj or obj in (float("inf"), float("-inf")):
            raise _Unusual(obj)
        return float.__repr__(obj)
    if kind is dict:
        if not obj:
            return "{}"
        items = sorted(obj.items()) if sort_keys else obj.items()
        parts = []
        for key, value in items:
            if type(key) is not str:
                raise _Unusual(key)
            parts.append(quote(key) + ": " + _encode(value, quote, pad, sort_keys, level + 1))
        return _wrap("{", parts, "}", pad, level)
    if kind is list or kind is tuple:
        if not obj:
            return "[]"
        return _wrap("[", [_encode(v, quote, pad, sort_keys, level + 1) for v in obj], "]",
                     pad, level)
    raise _Unusual(obj)


def _wrap(opening: str, parts: list, closing: str, pad: "str | None", level: int) -> str:
    if pad is None:
        return opening + ", ".join(parts) + closing
    inner = "\n" + pad * (level + 1)
    return opening + inner + ("," + inner).join(parts) + "\n" + pad * level + closing


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
