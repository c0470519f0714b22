"""mount(2)/umount2(2) through ctypes, and helpers to mount a RootfsMount.

Overlay mount data is limited to one page; ``overlay_data`` builds it and
``mount_rootfs`` mounts a RootfsMount (used by tests and by anyone who needs a quick
read-write view of an image; the runtime has its own mount sequence).
"""
from __future__ import annotations

import ctypes
import os
import tempfile

from ..errors import RuntimeFailure
from ..types import RootfsMount

MS_RDONLY = 1
MS_BIND = 4096
MNT_DETACH = 2
PAGE_LIMIT = 4095

_libc = ctypes.CDLL(None, use_errno=True)    # libc is already in the process
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def mount(source: str, target: str, fstype: str | None, flags: int = 0, data: str | None = None) -> None:
    rc = _libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                     flags, data.encode() if data else None)
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {fstype or 'bind'} on {target}: {os.strerror(err)}")


def umount(target: str, detach: bool = False) -> None:
    rc = _libc.umount2(target.encode(), MNT_DETACH if detach else 0)
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"umount {target}: {os.strerror(err)}")


def overlay_data(rootfs: RootfsMount) -> str:
    data = "lowerdir=" + ":".join(rootfs.lowerdirs)
    if rootfs.upperdir:
        data += f",upperdir={rootfs.upperdir},workdir={rootfs.workdir}"
    return data


def mount_rootfs(rootfs: RootfsMount, target: str) -> None:
    """Mount ``rootfs`` on ``target`` (overlay, or a bind mount of the copied tree)."""
    try:
        if rootfs.type == "overlay":
            mount("overlay", target, "overlay", 0, overlay_data(rootfs))
        else:
            mount(rootfs.source, target, None, MS_BIND)
    except OSError as e:
        raise RuntimeFailure(f"cannot mount the root filesystem: {e.strerror}") from None


_OVERLAY_OK: dict[str, bool] = {}


def overlay_supported(base: str, cache_file: str | None = None) -> bool:
    """Can we mount overlayfs with upper/work dirs under ``base``?

    Probed once per process, and once per boot when ``cache_file`` (in the runroot) is given:
    the verdict is stored keyed by the kernel boot id and the filesystem holding ``base``
    (device + fsid + path), so a reboot, a kernel change or a different storage filesystem
    re-probes. A missing, torn or foreign cache file simply means "probe again".
    """
    if os.environ.get("PYCOMPOSE_SNAPSHOTTER") == "native":
        return False
    if base in _OVERLAY_OK:
        return _OVERLAY_OK[base]
    key = _probe_key(base) if cache_file else ""
    ok = _cached_verdict(cache_file, key) if key else None
    if ok is None:
        ok = _probe_overlay(base)
        if key:
            _store_verdict(cache_file, key, ok)
    _OVERLAY_OK[base] = ok
    return ok


def _probe_key(base: str) -> str:
    """boot id + the storage filesystem's identity ("" when it cannot be read: no caching)."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            boot_id = f.read().strip()
        st, vfs = os.stat(base), os.statvfs(base)
    except OSError:
        return ""
    return f"{boot_id} {st.st_dev} {vfs.f_fsid} {base}"


def _cached_verdict(cache_file: str, key: str) -> bool | None:
    try:
        with open(cache_file) as f:
            stored_key, _, verdict = f.read().rpartition("\n")
    except OSError:
        return None
    if stored_key != key or verdict not in ("yes", "no"):
        return None
    return verdict == "yes"


def _store_verdict(cache_file: str, key: str, ok: bool) -> None:
    """Write-then-rename (a reader sees the old file or the new one); failures are ignored."""
    tmp = f"{cache_file}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(cache_file), exist_ok=True)
        with open(tmp, "w") as f:
            f.write(f"{key}\n{'yes' if ok else 'no'}")
        os.replace(tmp, cache_file)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _probe_overlay(base: str) -> bool:
    """Mount (and unmount) a tiny overlay under ``base``."""
    try:
        with tempfile.TemporaryDirectory(dir=base, prefix=".probe-") as d:
            for sub in ("l", "u", "w", "m"):
                os.mkdir(os.path.join(d, sub))
            try:
                mount("overlay", os.path.join(d, "m"), "overlay", 0,
                      f"lowerdir={d}/l,upperdir={d}/u,workdir={d}/w")
                umount(os.path.join(d, "m"))
                return True
            except OSError:
                return False
    except OSError:
        return False
