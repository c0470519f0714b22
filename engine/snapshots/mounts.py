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


def overlay_supported(base: str) -> bool:
    """Can we mount overlayfs with upper/work dirs under ``base``? (probed once per process)."""
    if os.environ.get("PYCOMPOSE_SNAPSHOTTER") == "native":
        return False
    if base in _OVERLAY_OK:
        return _OVERLAY_OK[base]
    ok = False
    try:
        with tempfile.TemporaryDirectory(dir=base, prefix=".probe-") as d:
            for sub in ("l", "u", "w", "m"):
                os.mkdir(os.path.join(d, sub))
            try:
                mount("overlay", os.path.join(d, "m"), "overlay", 0,
                      f"lowerdir={d}/l,upperdir={d}/u,workdir={d}/w")
                umount(os.path.join(d, "m"))
                ok = True
            except OSError:
                ok = False
    except OSError:
        ok = False
    _OVERLAY_OK[base] = ok
    return ok
