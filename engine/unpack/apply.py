"""Apply one layer tar to a directory, safely.

Two whiteout modes:
  "overlay"  the directory is an overlay lower/upper dir of its own (a committed snapshot):
             ``.wh.NAME`` becomes a 0/0 character device, ``.wh..wh..opq`` the
             ``trusted.overlay.opaque=y`` xattr on its directory.
  "delete"   the directory already holds the layers below (flattened or copy rootfs):
             ``.wh.NAME`` deletes NAME, ``.wh..wh..opq`` empties the directory of what
             lower layers put there.

Safety: every entry name is cleaned; names that leave the root (``../``) are refused;
absolute names are taken relative to the root; a path is never resolved through a
symlink (an entry below a symlink is refused); files are opened with O_NOFOLLOW; hard
links must point at a non-directory inside the root; metadata calls never follow
symlinks; ``trusted.overlay.*`` xattrs from the tar are dropped. Device nodes are created
when the kernel allows it (root) and skipped otherwise.
"""
from __future__ import annotations

import errno
import os
import posixpath
import shutil
import stat
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:                        # tarfile is imported where a layer is applied
    import tarfile

from ..errors import ImageError
from .compression import HashingReader, open_uncompressed

WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"
COPY_CHUNK = 1 << 20
IS_ROOT = os.geteuid() == 0


class LayerError(ImageError):
    pass


def _clean(name: str) -> str:
    """Root-relative clean path ('' = the root itself); raises on escapes."""
    cleaned = posixpath.normpath(name).lstrip("/")
    if cleaned in (".", ""):
        return ""
    if cleaned == ".." or cleaned.startswith("../"):
        raise LayerError(f"refusing layer entry {name!r}: the path leaves the layer's root")
    return cleaned


def _parent_dir(root: str, rel: str, *, create: bool = True) -> str:
    """Absolute path of rel's parent, creating dirs and refusing symlinks on the way."""
    current = root
    for part in rel.split("/")[:-1]:
        current = os.path.join(current, part)
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            if not create:
                return ""
            os.mkdir(current, 0o755)
            continue
        if stat.S_ISLNK(st.st_mode):
            raise LayerError(f"refusing layer entry {rel!r}: its parent {part!r} is a symlink")
        if not stat.S_ISDIR(st.st_mode):
            raise LayerError(f"refusing layer entry {rel!r}: {part!r} is not a directory")
    return current


def _remove(path: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


class LayerApplier:
    def __init__(self, root: Path, mode: str = "overlay") -> None:
        self.root = str(root)
        self.mode = mode
        self.dir_times: list[tuple[str, float]] = []
        self.created: set[str] = set()
        self.size = 0

    def apply(self, tf: tarfile.TarFile) -> None:
        for member in tf:
            self._entry(tf, member)
        for path, mtime in reversed(self.dir_times):
            try:
                os.utime(path, (mtime, mtime), follow_symlinks=False)
            except OSError:
                pass

    def _entry(self, tf: tarfile.TarFile, m: tarfile.TarInfo) -> None:
        rel = _clean(m.name)
        if not rel:
            return
        base = posixpath.basename(rel)
        parent = _parent_dir(self.root, rel)
        if base.startswith(WHITEOUT_PREFIX):
            self._whiteout(parent, rel, base)
            return
        path = os.path.join(parent, base)
        self.created.add(rel)
        if m.isdir():
            if not os.path.isdir(path) or os.path.islink(path):
                _remove(path)
                os.mkdir(path, 0o755)
        elif m.isreg():
            _remove(path)
            self._write_file(tf, m, path)
        elif m.issym():
            _remove(path)
            os.symlink(m.linkname, path)
        elif m.islnk():
            self._hardlink(m, path)
            return
        elif m.ischr() or m.isblk():
            _remove(path)
            kind = stat.S_IFCHR if m.ischr() else stat.S_IFBLK
            try:
                os.mknod(path, kind | (m.mode & 0o7777), os.makedev(m.devmajor, m.devminor))
            except PermissionError:
                return              # not allowed here (rootless): skipped, like containerd
        elif m.isfifo():
            _remove(path)
            os.mkfifo(path, m.mode & 0o7777)
        else:
            return                  # sparse/unknown types: ignored
        self._metadata(m, path)

    def _write_file(self, tf: tarfile.TarFile, m: tarfile.TarInfo, path: str) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as out:
            src = tf.extractfile(m)
            if src is not None:
                shutil.copyfileobj(src, out, COPY_CHUNK)
        self.size += m.size

    def _hardlink(self, m: tarfile.TarInfo, path: str) -> None:
        target_rel = _clean(m.linkname)
        if not target_rel:
            raise LayerError(f"refusing hard link {m.name!r} to the layer root")
        target_parent = _parent_dir(self.root, target_rel, create=False)
        target = os.path.join(target_parent, posixpath.basename(target_rel)) if target_parent else ""
        try:
            st = os.lstat(target) if target else None
        except FileNotFoundError:
            st = None
        if st is None:
            raise LayerError(f"refusing hard link {m.name!r}: target {m.linkname!r} is not in the layer")
        if stat.S_ISDIR(st.st_mode):
            raise LayerError(f"refusing hard link {m.name!r} to a directory")
        if os.path.abspath(target) == os.path.abspath(path):
            return
        _remove(path)
        os.link(target, path, follow_symlinks=False)
        self.created.add(_clean(m.name))

    def _whiteout(self, parent: str, rel: str, base: str) -> None:
        if base == OPAQUE:
            if self.mode == "overlay":
                os.setxattr(parent, "trusted.overlay.opaque", b"y")
            else:
                prefix = posixpath.dirname(rel)
                for entry in os.listdir(parent):
                    child_rel = posixpath.join(prefix, entry) if prefix else entry
                    if child_rel not in self.created:
                        _remove(os.path.join(parent, entry))
            return
        if base.startswith(WHITEOUT_PREFIX * 2):
            return                  # aufs metadata (.wh..wh.plnk, ...)
        name = base[len(WHITEOUT_PREFIX):]
        if name in ("", ".", ".."):
            raise LayerError(f"refusing whiteout entry {rel!r}")
        target = os.path.join(parent, name)
        _remove(target)
        if self.mode == "overlay":
            os.mknod(target, stat.S_IFCHR | 0o000, os.makedev(0, 0))

    def _metadata(self, m: tarfile.TarInfo, path: str) -> None:
        is_link = m.issym()
        if IS_ROOT:
            os.chown(path, m.uid, m.gid, follow_symlinks=False)
        for key, value in m.pax_headers.items():
            if not key.startswith("SCHILY.xattr."):
                continue
            name = key[len("SCHILY.xattr."):]
            if name.startswith("trusted.overlay.") or is_link:
                continue
            try:
                os.setxattr(path, name, value.encode("utf-8", "surrogateescape"),
                            follow_symlinks=False)
            except OSError:
                pass                # not supported / not allowed on this filesystem
        if not is_link:
            os.chmod(path, m.mode & 0o7777)
        if m.isdir():
            self.dir_times.append((path, m.mtime))
        else:
            os.utime(path, (m.mtime, m.mtime), follow_symlinks=False)


def apply_layer(blob: BinaryIO, dest: Path, mode: str = "overlay", what: str = "layer") -> tuple[str, int]:
    """Apply a (possibly compressed) layer stream to ``dest``; returns (diff_id, unpacked size)."""
    import tarfile
    try:
        stream, _kind = open_uncompressed(blob)
        hashing = HashingReader(stream)
        applier = LayerApplier(dest, mode)
        with tarfile.open(fileobj=hashing, mode="r|", bufsize=COPY_CHUNK) as tf:
            applier.apply(tf)
        hashing.drain()
    except LayerError as e:
        raise LayerError(f"{what}: {e}") from None
    except (tarfile.TarError, EOFError, zlib.error) as e:
        raise ImageError(f"{what} is not a valid layer archive: {e or 'unexpected end of data'}") from None
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise ImageError(f"no space left on device while unpacking {what}") from None
        if e.errno is None or e.strerror is None:
            raise ImageError(f"{what} is not a valid layer archive: {e}") from None
        raise ImageError(f"cannot unpack {what}: {e.strerror}: {e.filename or ''}".rstrip(": ")) from None
    except Exception as e:          # zstandard.ZstdError and friends
        if type(e).__module__.startswith("zstandard") or "zstd" in type(e).__name__.lower():
            raise ImageError(f"{what} is not a valid layer archive: {e}") from None
        raise
    return hashing.digest, applier.size
