"""Content-addressed blob store: content/blobs/sha256/<hex>, immutable once written.

Every write is a *verified ingest*: bytes go to content/ingest/<key>/data while being
hashed; only when the digest (and size, when known) match is the file fsynced and renamed
into blobs/. A crash or a mismatch therefore never leaves a visible partial blob. Ingests
are resumable: a writer re-opened on the same key re-hashes what is already there and
continues (used for ranged registry downloads). Two processes writing the same blob both
succeed; the rename is atomic and the content identical.
"""
from __future__ import annotations

import errno
import hashlib
import os
import shutil
from pathlib import Path
from typing import BinaryIO, Iterator, Optional

from ..errors import ImageError, NotFound
from ..layout import Layout

CHUNK = 1 << 20


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def disk_error(e: OSError, what: str) -> ImageError:
    if e.errno == errno.ENOSPC:
        return ImageError(f"no space left on device while writing {what}")
    return ImageError(f"cannot write {what}: {e.strerror or e}")


class IngestWriter:
    """Append-only writer for one blob being ingested (resumable by key)."""

    def __init__(self, store: "ContentStore", key: str, *, resume: bool = True) -> None:
        self.store = store
        self.dir = store.layout.ingest / key
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / "data"
        self._hash = hashlib.sha256()
        self.offset = 0
        if resume and self.path.exists():
            with open(self.path, "rb") as f:
                for chunk in iter(lambda: f.read(CHUNK), b""):
                    self._hash.update(chunk)
                    self.offset += len(chunk)
            self._file = open(self.path, "ab")
        else:
            self._file = open(self.path, "wb")

    def write(self, data: bytes) -> None:
        try:
            self._file.write(data)
        except OSError as e:
            raise disk_error(e, "a blob") from e
        self._hash.update(data)
        self.offset += len(data)

    def truncate(self) -> None:
        """Start again from zero (the server ignored our Range request)."""
        self._file.seek(0)
        self._file.truncate()
        self._hash = hashlib.sha256()
        self.offset = 0

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()

    def commit(self, expected: Optional[str] = None, size: Optional[int] = None) -> str:
        """Verify and move into blobs/. On mismatch the ingest is discarded."""
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as e:
            self.abort()
            raise disk_error(e, "a blob") from e
        self._file.close()
        digest = self.digest
        if size is not None and self.offset != size:
            self.abort()
            raise ImageError(f"size mismatch for {expected or digest}: expected {size} bytes, "
                             f"got {self.offset}")
        if expected is not None and digest != expected:
            self.abort()
            raise ImageError(f"digest mismatch: expected {expected}, got {digest}")
        target = self.store.layout.blob(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            self.abort()
        else:
            os.replace(self.path, target)
            _fsync_dir(target.parent)
            shutil.rmtree(self.dir, ignore_errors=True)
        return digest

    def close(self) -> None:
        """Stop writing but keep the partial data for a later resume."""
        if not self._file.closed:
            self._file.close()

    def abort(self) -> None:
        if not self._file.closed:
            self._file.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class ContentStore:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def path(self, digest: str) -> Path:
        return self.layout.blob(digest)

    def has(self, digest: str) -> bool:
        return self.layout.blob(digest).exists()

    def size(self, digest: str) -> int:
        try:
            return self.layout.blob(digest).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"blob {digest} not found in the content store") from None

    def read(self, digest: str) -> bytes:
        try:
            return self.layout.blob(digest).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"blob {digest} not found in the content store") from None

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self.layout.blob(digest), "rb")
        except FileNotFoundError:
            raise NotFound(f"blob {digest} not found in the content store") from None

    def writer(self, key: Optional[str] = None, *, resume: bool = True) -> IngestWriter:
        return IngestWriter(self, key or ("w-" + os.urandom(16).hex()), resume=resume)

    def write_bytes(self, data: bytes, expected: Optional[str] = None) -> str:
        digest = sha256_digest(data)
        if expected is not None and expected != digest:
            raise ImageError(f"digest mismatch: expected {expected}, got {digest}")
        if self.has(digest):
            return digest
        w = self.writer(resume=False)
        w.write(data)
        return w.commit(digest, len(data))

    def write_stream(self, stream: BinaryIO, expected: Optional[str] = None,
                     size: Optional[int] = None) -> str:
        w = self.writer(resume=False)
        try:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                w.write(chunk)
        except BaseException:
            w.abort()
            raise
        return w.commit(expected, size)

    def add_file(self, path: os.PathLike, expected: Optional[str] = None) -> str:
        with open(path, "rb") as f:
            return self.write_stream(f, expected)

    def delete(self, digest: str) -> None:
        try:
            self.layout.blob(digest).unlink()
        except FileNotFoundError:
            pass

    def list(self) -> Iterator[str]:
        try:
            for entry in os.scandir(self.layout.blobs):
                if len(entry.name) == 64:
                    yield "sha256:" + entry.name
        except FileNotFoundError:
            return

    def verify(self, digest: str) -> bool:
        h = hashlib.sha256()
        with self.open(digest) as f:
            for chunk in iter(lambda: f.read(CHUNK), b""):
                h.update(chunk)
        return "sha256:" + h.hexdigest() == digest
