"""File operations of COPY / ADD / WORKDIR inside a mounted build filesystem.

    host = resolve_in_root(root, "/app/x")           # symlinks resolved inside root
    copy_sources(tree, sources, root, dest, opts)    # Docker's COPY rules
    extract_archive(path, root, dest)                # ADD's auto-extraction
    lookup_owner(root, "app:wheel") -> (uid, gid)    # names from the image's passwd/group

COPY rules (Docker): a destination ending in ``/``, several sources, or an existing
directory means "into this directory"; a source directory's *contents* are copied; missing
parent directories are created (0755); files keep their mode and mtime; the owner is 0:0
for the build context (``--chown`` overrides; ``COPY --from`` keeps the source owner);
``--chmod`` applies to every copied entry.
"""
from __future__ import annotations

import bz2
import errno
import lzma
import os
import posixpath
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError
from ..pathsafe import secure_join


def resolve_in_root(root: str, path: str, follow_last: bool = True) -> str:
    """Host path of container path ``path``, resolving symlinks as if ``root`` were /
    (``..`` is cleaned lexically first, as BuildKit does for Dockerfile paths)."""
    try:
        return secure_join(root, posixpath.normpath("/" + path), follow_last=follow_last)
    except OSError as e:
        if e.errno != errno.ELOOP:
            raise
        raise BuildError(f"too many levels of symbolic links in {path}") from None


def _read_db(root: str, name: str) -> list[list[str]]:
    try:
        with open(resolve_in_root(root, f"/etc/{name}"), encoding="utf-8", errors="replace") as f:
            return [line.rstrip("\n").split(":") for line in f if line.strip() and ":" in line]
    except OSError:
        return []


def lookup_owner(root: str, spec: str) -> tuple[int, int]:
    """``user[:group]`` (names or ids) -> (uid, gid), names looked up in the image."""
    user, _, group = spec.partition(":")
    uid = _lookup_id(root, "passwd", user, "user", spec)
    if not group:
        return uid, uid            # Docker: a user without a group uses the same number
    return uid, _lookup_id(root, "group", group, "group", spec)


def _lookup_id(root: str, db: str, name: str, what: str, spec: str) -> int:
    if name.isdigit():
        return int(name)
    for fields in _read_db(root, db):
        if fields[0] == name and len(fields) > 2 and fields[2].isdigit():
            return int(fields[2])
    raise BuildError(f"unable to convert uid/gid chown string to host mapping: "
                     f"no such {what} {name!r} in /etc/{db} of the image (--chown={spec})")


def lookup_user(root: str, spec: str) -> tuple[int, int]:
    """USER ``user[:group]`` -> (uid, gid); without a group, the user's primary group."""
    user, _, group = spec.partition(":")
    uid = _lookup_id(root, "passwd", user, "user", spec)
    if group:
        return uid, _lookup_id(root, "group", group, "group", spec)
    for fields in _read_db(root, "passwd"):
        if len(fields) > 3 and fields[3].isdigit() and \
                (fields[0] == user or (fields[2].isdigit() and int(fields[2]) == uid)):
            return uid, int(fields[3])
    return uid, 0


def parse_chmod(text: str) -> int:
    try:
        mode = int(text, 8)
    except ValueError:
        raise BuildError(f"invalid chmod parameter {text!r}: use an octal mode such as 0755") from None
    if mode > 0o7777:
        raise BuildError(f"invalid chmod parameter {text!r}: out of range")
    return mode


@dataclass
class CopyOptions:
    owner: tuple | None = None        # (uid, gid) or None
    keep_owner: bool = False          # COPY --from: keep the source's owner
    chmod: int | None = None
    parents: bool = False             # COPY --parents: keep the source path below the root
    mtime: float | None = None        # force an mtime (heredocs)
    exclude: object = None            # COPY --exclude: a dockerignore Matcher on source paths


def _makedirs(root: str, cpath: str, opts: CopyOptions) -> str:
    """mkdir -p inside the root; new directories are 0755 and owned by --chown or root."""
    host = resolve_in_root(root, cpath)
    if os.path.isdir(host):
        return host
    parent = posixpath.dirname(posixpath.normpath(cpath))
    if parent != cpath:
        _makedirs(root, parent, opts)
    host = resolve_in_root(root, cpath)
    if os.path.lexists(host) and not os.path.isdir(host):
        raise BuildError(f"cannot copy to {cpath}: it exists and is not a directory")
    if not os.path.isdir(host):
        os.mkdir(host, 0o755)
        os.chmod(host, 0o755)
        uid, gid = opts.owner or (0, 0)
        os.lchown(host, uid, gid)
    return host


def _apply_meta(host: str, st: os.stat_result, opts: CopyOptions) -> None:
    if opts.owner is not None:
        uid, gid = opts.owner
    elif opts.keep_owner:
        uid, gid = st.st_uid, st.st_gid
    else:
        uid, gid = 0, 0
    os.lchown(host, uid, gid)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(host, opts.chmod if opts.chmod is not None else stat.S_IMODE(st.st_mode))
    mtime = opts.mtime if opts.mtime is not None else st.st_mtime
    os.utime(host, (mtime, mtime), follow_symlinks=False)


def _copy_entry(src: str, st: os.stat_result, host_dst: str, opts: CopyOptions) -> None:
    if os.path.lexists(host_dst) and not (stat.S_ISDIR(st.st_mode) and os.path.isdir(host_dst)):
        if os.path.isdir(host_dst) and not os.path.islink(host_dst):
            shutil.rmtree(host_dst)
        else:
            os.unlink(host_dst)
    if stat.S_ISDIR(st.st_mode):
        if not os.path.isdir(host_dst):
            os.mkdir(host_dst)
    elif stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(src), host_dst)
    elif stat.S_ISREG(st.st_mode):
        shutil.copyfile(src, host_dst, follow_symlinks=False)
    else:
        return                                   # devices, fifos, sockets: not copied
    _apply_meta(host_dst, st, opts)


def copy_sources(tree, sources, root: str, dest: str, opts: CopyOptions, dest_is_dir: bool) -> None:
    """Copy ``sources`` (from SourceTree ``tree``) to container path ``dest`` below ``root``."""
    for src in sources:
        if opts.exclude is not None and not src.is_dir and (
                opts.exclude.matches(src.rel) or opts.exclude.matches(posixpath.basename(src.rel))):
            continue
        if src.is_dir:
            target = dest
            if opts.parents and src.rel != ".":
                target = posixpath.join(dest, src.rel)
            _copy_dir(tree, src, root, target, opts)
            continue
        if dest_is_dir:
            name = src.rel if opts.parents else posixpath.basename(src.rel)
            target = posixpath.join(dest, name)
        else:
            target = dest
        _makedirs(root, posixpath.dirname(target) or "/", opts)
        host = resolve_in_root(root, target, follow_last=False)
        if os.path.isdir(host) and not os.path.islink(host):
            host = os.path.join(host, posixpath.basename(src.rel))
        _copy_entry(src.path, os.stat(src.path), host, opts)


def _copy_dir(tree, src, root: str, target: str, opts: CopyOptions) -> None:
    top = _makedirs(root, target, opts)
    dirs = []
    for rel, path, st in tree.walk(src):
        host = resolve_in_root(root, posixpath.join(target, rel), follow_last=False) if rel else top
        if rel == "" or (opts.exclude is not None and opts.exclude.matches(rel)):
            continue
        if not os.path.isdir(os.path.dirname(host)):    # parent excluded, child re-included
            _makedirs(root, posixpath.dirname(posixpath.join(target, rel)), opts)
        _copy_entry(path, st, host, opts)
        if stat.S_ISDIR(st.st_mode):
            dirs.append((host, st))
    for host, st in reversed(dirs):           # directory mtimes after their contents
        mtime = opts.mtime if opts.mtime is not None else st.st_mtime
        os.utime(host, (mtime, mtime))


def write_file(root: str, cpath: str, content: bytes, opts: CopyOptions, mode: int = 0o644) -> None:
    """COPY <<EOF: a file with the given content."""
    _makedirs(root, posixpath.dirname(cpath) or "/", opts)
    host = resolve_in_root(root, cpath, follow_last=False)
    if os.path.isdir(host):
        raise BuildError(f"cannot write heredoc to {cpath}: it is a directory")
    if os.path.lexists(host):
        os.unlink(host)
    with open(host, "wb") as f:
        f.write(content)
    os.lchown(host, *(opts.owner or (0, 0)))
    os.chmod(host, opts.chmod if opts.chmod is not None else mode)


def mkdir_p(root: str, cpath: str, user: str = "") -> None:
    """WORKDIR: create the directory (0755, owned by the current USER) when missing."""
    owner = lookup_user(root, user) if user else None
    _makedirs(root, cpath, CopyOptions(owner=owner))


# --------------------------------------------------------------------------- archives

def archive_kind(path: str) -> str | None:
    """"gz" | "bz2" | "xz" | "zst" | "tar" when ``path`` is a (compressed) tar, else None."""
    with open(path, "rb") as f:
        head = f.read(512)
    if head.startswith(b"\x1f\x8b"):
        return "gz"
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zst"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    return None


def is_archive(path: str) -> bool:
    """True when ``path`` is a tar archive, maybe compressed (Docker's ADD rule)."""
    kind = archive_kind(path)
    if kind is None:
        return False
    import tarfile
    try:
        with _open_decompressed(path, kind, for_probe=True) as stream:
            with tarfile.open(fileobj=stream, mode="r|") as tf:
                return tf.next() is not None
    except Exception:                     # noqa: BLE001 - any decode failure: not an archive
        return False


def _open_decompressed(path: str, kind: str, for_probe: bool = False):
    if kind == "gz" and for_probe:
        import gzip
        return gzip.open(path, "rb")
    if kind == "bz2":
        return bz2.open(path, "rb")
    if kind == "xz":
        return lzma.open(path, "rb")
    if kind == "zst":
        import zstandard
        return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)
    return open(path, "rb")                   # tar and gzip: the layer applier reads them


def extract_archive(path: str, root: str, dest: str, display: str) -> None:
    """ADD's auto-extraction of a local tar archive into directory ``dest``."""
    from ..unpack.apply import apply_layer
    kind = archive_kind(path)
    host = _makedirs(root, dest, CopyOptions())
    with _open_decompressed(path, kind or "tar") as stream:
        try:
            apply_layer(stream, Path(host), "delete", f"archive {display}")
        except Exception as e:                 # ImageError from the applier
            raise BuildError(f"ADD failed: cannot extract {display}: {e}") from None
