"""An overlay upper directory -> a layer tar (the changes a build step made).

    write_layer_tar(upperdir, dest_tar) -> None

The upper dir of an overlay mount holds exactly what changed:
  * new or modified files, directories, symlinks, hard links (kept as tar hard links);
  * deleted paths as 0/0 character devices -> ``.wh.<name>`` (empty regular file);
  * directories re-created after a delete carry ``trusted.overlay.opaque=y``
    -> the directory entry plus ``<dir>/.wh..wh..opq``.
Output is deterministic for a given tree: entries sorted by path (a directory before its
contents), PAX format, no user/group names, whiteouts with mtime 0, ``trusted.overlay.*``
xattrs never copied, ``security.capability`` kept.
"""
from __future__ import annotations

import os
import stat
import tarfile

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
OPAQUE_XATTRS = ("trusted.overlay.opaque", "user.overlay.opaque")
KEPT_XATTRS = ("security.capability",)


def _is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def _is_opaque(path: str) -> bool:
    for name in OPAQUE_XATTRS:
        try:
            if os.getxattr(path, name, follow_symlinks=False) == b"y":
                return True
        except OSError:
            continue
    return False


def _walk_sorted_dir(root: str, rel_dir: str):
    abs_dir = os.path.join(root, rel_dir)
    for name in sorted(os.listdir(abs_dir)):
        rel = f"{rel_dir}/{name}"
        path = os.path.join(abs_dir, name)
        st = os.lstat(path)
        yield rel, path, st
        if stat.S_ISDIR(st.st_mode):
            yield from _walk_sorted_dir(root, rel)


def _base_info(rel: str, st: os.stat_result) -> tarfile.TarInfo:
    info = tarfile.TarInfo(rel)
    info.mode = stat.S_IMODE(st.st_mode)
    info.uid, info.gid = st.st_uid, st.st_gid
    info.uname = info.gname = ""
    info.mtime = int(st.st_mtime)
    return info


def _xattrs(path: str) -> dict:
    out = {}
    for name in KEPT_XATTRS:
        try:
            value = os.getxattr(path, name, follow_symlinks=False)
        except OSError:
            continue
        out["SCHILY.xattr." + name] = value.decode("latin-1")
    return out


def _whiteout_info(rel: str) -> tarfile.TarInfo:
    head, _, name = rel.rpartition("/")
    info = tarfile.TarInfo((head + "/" if head else "") + WHITEOUT_PREFIX + name)
    info.mode = 0o644
    info.uname = info.gname = ""
    info.mtime = 0
    return info


def write_layer_tar(upperdir, dest_tar) -> None:
    """Write the changes recorded in ``upperdir`` as a layer tar at ``dest_tar``."""
    root = str(upperdir)
    links: dict = {}
    with tarfile.open(dest_tar, "w", format=tarfile.PAX_FORMAT) as tf:
        for rel, path, st in _walk_sorted_dir_root(root):
            if _is_whiteout(st):
                tf.addfile(_whiteout_info(rel))
                continue
            info = _base_info(rel, st)
            pax = _xattrs(path)
            if pax:
                info.pax_headers = pax
            if stat.S_ISDIR(st.st_mode):
                info.type = tarfile.DIRTYPE
                tf.addfile(info)
                if _is_opaque(path):
                    marker = _whiteout_info(rel + "/x")
                    marker.name = rel + "/" + OPAQUE_MARKER
                    tf.addfile(marker)
            elif stat.S_ISLNK(st.st_mode):
                info.type = tarfile.SYMTYPE
                info.linkname = os.readlink(path)
                tf.addfile(info)
            elif stat.S_ISREG(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if st.st_nlink > 1 and key in links:
                    info.type = tarfile.LNKTYPE
                    info.linkname = links[key]
                    tf.addfile(info)
                    continue
                links[key] = rel
                info.size = st.st_size
                with open(path, "rb") as f:
                    tf.addfile(info, f)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                info.type = tarfile.CHRTYPE if stat.S_ISCHR(st.st_mode) else tarfile.BLKTYPE
                info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
                tf.addfile(info)
            elif stat.S_ISFIFO(st.st_mode):
                info.type = tarfile.FIFOTYPE
                tf.addfile(info)
            # sockets are not stored in layers (like Docker)


def _walk_sorted_dir_root(root: str):
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        st = os.lstat(path)
        yield name, path, st
        if stat.S_ISDIR(st.st_mode) and not _is_whiteout(st):
            yield from _walk_sorted_dir(root, name)
