"""Overlay mounts for build steps that edit a filesystem from Python (COPY, ADD, reading a
stage for COPY --from): mount(2)/umount2(2) through ctypes.

    with overlay_mounted(lowerdirs, upperdir, workdir, target):
        ... edit files below target; the changes land in upperdir ...
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os

from ..errors import BuildError

MNT_DETACH = 2
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def _mount_overlay(data: str, target: str) -> None:
    if _libc.mount(b"overlay", target.encode(), b"overlay", 0, data.encode()) != 0:
        err = ctypes.get_errno()
        raise BuildError(f"cannot mount the build step's filesystem: {os.strerror(err)}")


def _umount(target: str) -> None:
    if _libc.umount2(target.encode(), 0) != 0:
        _libc.umount2(target.encode(), MNT_DETACH)


@contextlib.contextmanager
def overlay_mounted(lowerdirs, upperdir: str, workdir: str, target: str):
    """Mount an overlay (lowerdirs top-most first) on ``target`` for the ``with`` block."""
    os.makedirs(target, exist_ok=True)
    data = f"lowerdir={':'.join(lowerdirs)},upperdir={upperdir},workdir={workdir}"
    if len(data) > 4000:
        raise BuildError("too many layers for one overlay mount (over 4000 bytes of mount options)")
    _mount_overlay(data, target)
    try:
        yield target
    finally:
        _umount(target)
