"""A cache of loaded projects, so that project commands skip YAML parsing, validation and
normalisation when nothing the loader read has changed.

    project = load_cached(load_options, cache_dir)      # same result as compose.loader.load_project

It wraps compose.loader's public ``load_project``; the loader is not touched. An entry is
keyed by everything the loader takes as input that is not a file: the working directory, the
complete OS environment, the LoadOptions (files, -p, --project-directory, --env-file,
--profile, services, flags), the effective uid and a stamp of the loader's own source files.
Files are validated on every hit:

* every file the loader opened while loading (recorded with an audit hook on ``open``):
  size and SHA-256 of the contents must be unchanged (files over 4 MiB: inode, size, mtime);
* every directory that holds one of them, the working directory and the directories
  discovery walked through (from the working directory up to the compose file): mtime
  unchanged, so a new ``compose.override.yaml`` or ``.env`` invalidates the entry.

Warnings the loader emitted are stored and replayed on a hit. An entry also holds data
derived from the project alone (``derive``: the config hashes of the services, networks and
volumes, the normalised image names), so a hit installs the hashes in compose.hashing_compat
and the no-op ``up`` path (compose.cli.up_light) needs neither compose.hashing nor
engine.reference. The module imports no hashlib, pickle or pathlib (their C parts suffice).
Entries live under
``<runroot>/compose-cache/`` (tmpfs: gone on reboot), mode 0600, written atomically. Any
problem reading an entry is a miss; ``PYCOMPOSE_NO_PROJECT_CACHE=1`` disables the cache.
"""
from __future__ import annotations

import os
import sys

try:                                     # the C module: hashlib would load OpenSSL (~7 ms)
    from _sha256 import sha256 as _sha256
except ImportError:                      # pragma: no cover - other Python builds
    from hashlib import sha256 as _sha256
try:                                     # the pickle module imports re (~10 ms); _pickle not
    import _pickle as _pickler
except ImportError:                      # pragma: no cover
    import pickle as _pickler

CACHE_VERSION = 3
MAX_ENTRIES = 64                     # older entries are pruned when a new one is written
PICKLE_PROTOCOL = 5                  # pickle.HIGHEST_PROTOCOL of Python 3.8+

_recording = None                    # list of paths while a load is recorded
_record_lock = None                  # threading.Lock, made on the first recording
_hook_installed = False
_owner = None                        # the thread whose opens are recorded
_CODE_SUFFIXES = (".py", ".pyc", ".so")          # modules imported while loading: not inputs


def _audit(event: str, args) -> None:
    rec = _recording
    if rec is None:
        return
    import threading
    if event == "open":
        path, mode, flags = args
        if isinstance(path, (str, bytes, os.PathLike)) and threading.current_thread() is _owner:
            path = os.fsdecode(path)
            if not path.endswith(_CODE_SUFFIXES) and (mode is None or "r" in str(mode)):
                rec.append(path)
    elif event in ("os.listdir", "os.scandir") and threading.current_thread() is _owner:
        path = args[0] if args else "."
        if isinstance(path, (str, bytes, os.PathLike)):
            rec.append(os.fsdecode(path) + os.sep)


def _install_hook() -> None:
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)
        _hook_installed = True


def enabled() -> bool:
    return os.environ.get("PYCOMPOSE_NO_PROJECT_CACHE", "").lower() not in ("1", "true", "yes")


def load_cached(opts, cache_dir):
    """``compose.loader.load_project(opts)``, served from the cache when still valid."""
    path = entry_path(opts, cache_dir)
    project = None if path is None else _read_entry(path, opts)
    if project is not None:
        return project
    from compose.loader import load_project
    if path is None:
        return load_project(opts)
    warnings: list[str] = []
    user_warn = opts.on_warning

    def warn(message: str) -> None:
        warnings.append(message)
        if user_warn is not None:
            user_warn(message)

    opts.on_warning = warn
    opened = _start_recording()
    try:
        project = load_project(opts)
    finally:
        _stop_recording()
        opts.on_warning = user_warn
    _write_entry(path, project, warnings, opened, opts)
    return project


def _start_recording() -> list:
    global _recording, _owner, _record_lock
    import threading
    _install_hook()
    if _record_lock is None:
        _record_lock = threading.Lock()
    _record_lock.acquire()
    _owner = threading.current_thread()
    _recording = []
    return _recording


def _stop_recording() -> None:
    global _recording, _owner
    _recording = None
    _owner = None
    _record_lock.release()


def _key(opts) -> str:
    env = opts.os_environ()
    parts = (CACHE_VERSION, opts.workdir(), sorted(env.items()), list(opts.files),
             opts.project_name, opts.project_directory, list(opts.env_files), list(opts.profiles),
             list(opts.services), opts.interpolate, opts.normalize, opts.resolve_paths,
             opts.resolve_env_files, opts.consistency, opts.drop_unused_resources,
             os.geteuid(), _loader_stamp())
    return _sha256(repr(parts).encode("utf-8", "surrogateescape")).hexdigest()[:40]


def _loader_stamp() -> tuple:
    """(name, mtime) of the loader's and the model's sources (and of engine/reference.py,
    which normalises the image names stored with an entry): a changed loader is a miss."""
    import compose
    base = os.path.dirname(compose.__file__)
    stamp = []
    for sub in (os.path.join(base, "loader"), base):
        try:
            with os.scandir(sub) as it:
                for entry in it:
                    if entry.name.endswith(".py"):
                        stamp.append((entry.name, entry.stat().st_mtime_ns))
        except OSError:
            pass
    reference = os.path.join(os.path.dirname(base), "engine", "reference.py")
    try:
        stamp.append(("engine/reference.py", os.stat(reference).st_mtime_ns))
    except OSError:
        pass
    return tuple(sorted(stamp))


def _file_sig(path: str):
    """Size and a digest of the contents (not the mtime: it is only as fine as the kernel's
    clock tick, and a file rewritten with the same text is still the same input)."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if st.st_size > (4 << 20):
                return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
            return (st.st_size, _sha256(f.read()).hexdigest())
    except OSError:
        return None


def _dir_sig(path: str):
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _dependencies(opened: list, project, opts) -> tuple[dict, dict]:
    files: dict = {}
    dirs: dict = {}
    for path in opened:
        if path.endswith(os.sep):
            dirs[os.path.abspath(path)] = None
            continue
        path = os.path.abspath(path)
        if os.path.isdir(path):
            dirs[path] = None
            continue
        files[path] = None
        dirs[os.path.dirname(path)] = None
    cwd = opts.workdir()
    dirs[cwd] = None
    first = next(iter(getattr(project, "config_files", ()) or ()), None)
    if first:                               # discovery walked from cwd up to this directory
        top = os.path.dirname(os.path.abspath(str(first)))
        walk = cwd
        while walk.startswith(top) and walk != top:
            dirs[walk] = None
            walk = os.path.dirname(walk)
        dirs[top] = None
    return ({p: _file_sig(p) for p in files}, {d: _dir_sig(d) for d in dirs})


def _write_entry(path: str, project, warnings, opened, opts) -> None:
    try:
        files, dirs = _dependencies(opened, project, opts)
        data = _pickler.dumps({"version": CACHE_VERSION, "files": files, "dirs": dirs,
                               "warnings": list(warnings), "project": project,
                               "derived": derive(project)},
                              protocol=PICKLE_PROTOCOL)
        directory = os.path.dirname(path)
        os.makedirs(directory, mode=0o700, exist_ok=True)
        tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        _prune(directory)
    except Exception:                       # a cache that cannot be written is just a miss
        pass


def derive(project) -> dict:
    """What later commands compute from the project alone, stored with it: the config hashes
    (compose.hashing_compat.derived_hashes) and the normalised ``name:tag`` of every image
    reference (None for a digest or an invalid reference). {} when it cannot be computed."""
    try:
        from compose.hashing_compat import derived_hashes
        derived = derived_hashes(project)
        derived["images"] = _image_names(project)
        return derived
    except Exception:                       # noqa: BLE001 - derived data is an optimisation
        return {}


def _image_names(project) -> dict:
    from compose.naming import image_ref
    from engine import reference
    from engine.errors import EngineError
    names = {}
    for svc in project.services.values():
        ref = image_ref(project, svc)
        try:
            parsed = reference.parse(ref)
            names[ref] = parsed.tagged_name if parsed.tag and not parsed.digest else None
        except EngineError:
            names[ref] = None
    return names


_handed_over: dict = {}      # path -> entry validated just before, for the next read only


def read_entry(path: str, opts, *, hand_over: bool = False):
    """(project, derived data) of a valid entry, else None; replays the entry's warnings.
    ``hand_over``: the next read of ``path`` in this process gets this entry without reading
    and checking it again (the no-op `up` path hands its command to the full path, which
    loads the project a few ms later); ``forget_handed_over`` drops it."""
    entry = _handed_over.pop(path, None) or _valid_entry(path)
    if entry is None:
        return None
    if hand_over:
        _handed_over[path] = entry
    for message in entry["warnings"]:
        opts.warn(message)
    derived = entry.get("derived") or {}
    if derived:
        from compose.hashing_compat import remember_hashes
        remember_hashes(entry["project"], derived)
    return entry["project"], derived


def forget_handed_over() -> None:
    _handed_over.clear()


def _valid_entry(path: str):
    try:
        with open(path, "rb") as f:
            entry = _pickler.load(f)
    except Exception:
        return None
    if not isinstance(entry, dict) or entry.get("version") != CACHE_VERSION:
        return None
    for file, sig in entry["files"].items():
        if _file_sig(file) != sig:
            return None
    for directory, sig in entry["dirs"].items():
        if _dir_sig(directory) != sig:
            return None
    return entry


def _read_entry(path: str, opts):
    found = read_entry(path, opts)
    return None if found is None else found[0]


def entry_path(opts, cache_dir) -> "str | None":
    """The file an entry for ``opts`` lives in (None when the cache is not used for them)."""
    if cache_dir is None or not enabled() or "-" in (opts.files or ()) or opts.stdin is not None:
        return None
    return os.path.join(os.fspath(cache_dir), f"{_key(opts)}.pickle")


def _prune(directory: str) -> None:
    try:
        names = [n for n in os.listdir(directory) if n.endswith(".pickle") and not n.startswith(".")]
        entries = sorted((os.stat(os.path.join(directory, n)).st_mtime, n) for n in names)
    except OSError:
        return
    for _mtime, old in entries[:-MAX_ENTRIES]:
        try:
            os.unlink(os.path.join(directory, old))
        except OSError:
            pass
