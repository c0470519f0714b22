"""Overlay mounts for build steps that edit a filesystem from Python (COPY, ADD, reading a
stage for COPY --from): mount(2)/umount2(2) through ctypes.

    with overlay_mounted(lowerdirs, upperdir, workdir, target):
        ... edit files below target; the changes land in upperdir ...
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import os

from ..errors import BuildError

MNT_DETACH = 2


@functools.lru_cache(maxsize=1)
def _libc():
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        from ctypes import util as ctypes_util
        libc = ctypes.CDLL(ctypes_util.find_library("c"), use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                           ctypes.c_char_p]
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    return libc


def _mount_overlay(data: str, target: str) -> None:
    if _libc().mount(b"overlay", target.encode(), b"overlay", 0, data.encode()) != 0:
        err = ctypes.get_errno()
        raise BuildError(f"cannot mount the build step's filesystem: {os.strerror(err)}")


def _umount(target: str) -> None:
    if _libc().umount2(target.encode(), 0) != 0:
        _libc().umount2(target.encode(), MNT_DETACH)


@contextlib.contextmanager
def overlay_mounted(lowerdirs, upperdir: str, workdir: str, target: str):
    """Mount an overlay (lowerdirs top-most first) on ``target`` for the ``with`` block."""
    os.makedirs(target, exist_ok=True)
    data = f"lowerdir={':'.join(lowerdirs)},upperdir={upperdir},workdir={workdir}"
    if len(data) > 4000:
        raise BuildError("too many layers for one overlay mount (over 4000 bytes of mount options)")
    try:
        # layers are diffed from the upper dir: no redirect/metacopy xattrs in it
        _mount_overlay(data + ",redirect_dir=off,metacopy=off", target)
    except BuildError:
        _mount_overlay(data, target)             # an older kernel without these options
    try:
        yield target
    finally:
        _umount(target)
