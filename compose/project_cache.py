"""A cache of loaded projects, so that project commands skip YAML parsing, validation and
normalisation when nothing the loader read has changed.

    project = load_cached(load_options, cache_dir)      # same result as compose.loader.load_project

It wraps compose.loader's public ``load_project``; the loader is not touched. An entry is
keyed by everything the loader takes as input that is not a file: the working directory, the
complete OS environment, the LoadOptions (files, -p, --project-directory, --env-file,
--profile, services, flags), the effective uid and a stamp of the loader's own source files.
Files are validated on every hit:

* every file the loader opened while loading (recorded with an audit hook on ``open``):
  size and SHA-1 of the contents must be unchanged (files over 4 MiB: inode, size, mtime);
* every directory that holds one of them, the working directory and the directories
  discovery walked through (from the working directory up to the compose file): mtime
  unchanged, so a new ``compose.override.yaml`` or ``.env`` invalidates the entry.

Warnings the loader emitted are stored and replayed on a hit. Entries live under
``<runroot>/compose-cache/`` (tmpfs: gone on reboot), mode 0600, written atomically. Any
problem reading an entry is a miss; ``PYCOMPOSE_NO_PROJECT_CACHE=1`` disables the cache.
"""
from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Optional

CACHE_VERSION = 1
MAX_ENTRIES = 64                     # older entries are pruned when a new one is written

_recording: Optional[list] = None
_record_lock = threading.Lock()
_hook_installed = False
_owner: Optional[threading.Thread] = None
_CODE_SUFFIXES = (".py", ".pyc", ".so")          # modules imported while loading: not inputs


def _audit(event: str, args) -> None:
    rec = _recording
    if rec is None:
        return
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


def load_cached(opts, cache_dir: Optional[Path]):
    """``compose.loader.load_project(opts)``, served from the cache when still valid."""
    from compose.loader import load_project
    if cache_dir is None or not enabled() or "-" in (opts.files or ()) or opts.stdin is not None:
        return load_project(opts)
    key = _key(opts)
    entry_path = Path(cache_dir) / f"{key}.pickle"
    project = _read_entry(entry_path, opts)
    if project is not None:
        return project
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
    _write_entry(entry_path, project, warnings, opened, opts)
    return project


def _start_recording() -> list:
    global _recording, _owner
    _install_hook()
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
    import hashlib
    env = opts.os_environ()
    parts = (CACHE_VERSION, opts.workdir(), sorted(env.items()), list(opts.files),
             opts.project_name, opts.project_directory, list(opts.env_files), list(opts.profiles),
             list(opts.services), opts.interpolate, opts.normalize, opts.resolve_paths,
             opts.resolve_env_files, opts.consistency, opts.drop_unused_resources,
             os.geteuid(), _loader_stamp())
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogateescape")).hexdigest()[:40]


def _loader_stamp() -> tuple:
    """(name, mtime) of the loader's and the model's sources: a changed loader is a miss."""
    import compose
    base = Path(compose.__file__).parent
    stamp = []
    for sub in (base / "loader", base):
        try:
            with os.scandir(sub) as it:
                for entry in it:
                    if entry.name.endswith(".py"):
                        stamp.append((entry.name, entry.stat().st_mtime_ns))
        except OSError:
            pass
    return tuple(sorted(stamp))


def _file_sig(path: str):
    """Size and a digest of the contents (not the mtime: it is only as fine as the kernel's
    clock tick, and a file rewritten with the same text is still the same input)."""
    import hashlib
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if st.st_size > (4 << 20):
                return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
            return (st.st_size, hashlib.sha1(f.read()).hexdigest())
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


def _write_entry(path: Path, project, warnings, opened, opts) -> None:
    import pickle
    try:
        files, dirs = _dependencies(opened, project, opts)
        data = pickle.dumps({"version": CACHE_VERSION, "files": files, "dirs": dirs,
                             "warnings": list(warnings), "project": project},
                            protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        _prune(path.parent)
    except Exception:                       # a cache that cannot be written is just a miss
        pass


def _read_entry(path: Path, opts):
    import pickle
    try:
        with open(path, "rb") as f:
            entry = pickle.load(f)
    except FileNotFoundError:
        return None
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
    for message in entry["warnings"]:
        opts.warn(message)
    return entry["project"]


def _prune(directory: Path) -> None:
    try:
        entries = sorted(directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
    except OSError:
        return
    for old in entries[:-MAX_ENTRIES]:
        try:
            old.unlink()
        except OSError:
            pass
