"""Turn an active snapshot's upper dir into a layer tar (``docker commit`` / a build step).

Overlay markers become OCI whiteouts: a 0/0 character device -> ``.wh.NAME``, a directory
with ``trusted.overlay.opaque=y`` -> the directory plus ``.wh..wh..opq``. Owner names are
not recorded (numeric ids only), hard links inside the upper dir are kept, xattrs other than
overlay's own are stored as PAX ``SCHILY.xattr.*`` records.
"""
from __future__ import annotations

import hashlib
import os
import stat
import tarfile
from pathlib import Path

from ..errors import InvalidArgument
from ..layout import read_json


def _is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def _xattrs(path: str) -> dict:
    out = {}
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return out
    for name in names:
        if name.startswith("trusted.overlay."):
            continue
        try:
            out["SCHILY.xattr." + name] = os.getxattr(path, name, follow_symlinks=False).decode(
                "utf-8", "surrogateescape")
        except OSError:
            continue
    return out


def _opaque(path: str) -> bool:
    try:
        return os.getxattr(path, "trusted.overlay.opaque", follow_symlinks=False) == b"y"
    except OSError:
        return False


def _clean_info(info: tarfile.TarInfo, path: str) -> tarfile.TarInfo:
    info.uname = info.gname = ""
    xattrs = _xattrs(path)
    if xattrs:
        info.pax_headers = dict(info.pax_headers, **xattrs)
    return info


def export_upper(active_dir: Path, dest_tar: str) -> str:
    """Write the upper dir of ``active_dir`` as an uncompressed layer tar; returns its diff id."""
    meta = read_json(active_dir / "meta.json", None)
    if meta is None:
        raise InvalidArgument(f"no prepared root filesystem {active_dir.name!r}")
    if meta.get("type") == "bind" and meta.get("chain"):
        raise InvalidArgument("cannot export changes of a copied root filesystem "
                              "(overlayfs is not available)")
    upper = str(active_dir / "fs")
    with tarfile.open(dest_tar, "w", format=tarfile.PAX_FORMAT) as tf:
        for dirpath, dirnames, filenames in os.walk(upper):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, upper)
            for name in sorted(dirnames) + sorted(filenames):
                full = os.path.join(dirpath, name)
                arc = name if rel_dir == "." else f"{rel_dir}/{name}"
                st = os.lstat(full)
                if _is_whiteout(st):
                    wh = tarfile.TarInfo(os.path.join(os.path.dirname(arc), ".wh." + name).lstrip("/"))
                    wh.mtime = int(st.st_mtime)
                    tf.addfile(wh)
                    continue
                info = _clean_info(tf.gettarinfo(full, arcname=arc), full)
                if info.isreg() and info.type != tarfile.LNKTYPE:
                    with open(full, "rb") as f:
                        tf.addfile(info, f)
                else:
                    tf.addfile(info)
                if stat.S_ISDIR(st.st_mode) and _opaque(full):
                    opq = tarfile.TarInfo(f"{arc}/.wh..wh..opq")
                    opq.mtime = int(st.st_mtime)
                    tf.addfile(opq)
    h = hashlib.sha256()
    with open(dest_tar, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()
