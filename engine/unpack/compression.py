"""Open a layer blob as an uncompressed tar stream (tar, gzip or zstd, detected by magic),
hashing the uncompressed bytes on the way so the caller gets the layer's diff id."""
from __future__ import annotations

import hashlib
import io
import zlib
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
READ_SIZE = 1 << 20


def detect(head: bytes) -> str:
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return "tar"


class _GzipReader(io.RawIOBase):
    """Multi-member gzip decompression with large reads (faster than gzip.GzipFile)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self._d = zlib.decompressobj(31)
        self._buf = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        while not self._buf and not self._eof:
            if self._d.unconsumed_tail:
                data = self._d.unconsumed_tail
            elif self._d.eof and self._d.unused_data:
                rest = self._d.unused_data
                self._d = zlib.decompressobj(31)
                data = rest
            else:
                data = self.raw.read(READ_SIZE)
                if not data:
                    if not self._d.eof:
                        raise EOFError("compressed layer ended before the end of the gzip stream")
                    self._eof = True
                    return
                if self._d.eof:
                    if not data.strip(b"\0"):
                        continue
                    self._d = zlib.decompressobj(31)
            self._buf = self._d.decompress(data, READ_SIZE * 4)

    def readinto(self, b) -> int:
        self._fill()
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while True:
                self._fill()
                if not self._buf:
                    return b"".join(chunks)
                chunks.append(self._buf)
                self._buf = b""
        self._fill()
        out, self._buf = self._buf[:size], self._buf[size:]
        return out


class HashingReader(io.RawIOBase):
    """Reads from ``inner`` and hashes everything read (the diff id)."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.hash = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        if data:
            self.hash.update(data)
            self.count += len(data)
        return data

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def drain(self) -> None:
        while self.read(READ_SIZE):
            pass

    @property
    def digest(self) -> str:
        return "sha256:" + self.hash.hexdigest()


def open_uncompressed(raw: BinaryIO) -> tuple[BinaryIO, str]:
    """Wrap ``raw`` (a seekable or peekable file) in a decompressor; returns (stream, kind)."""
    buffered = raw if hasattr(raw, "peek") else io.BufferedReader(raw, READ_SIZE)
    kind = detect(buffered.peek(4)[:4])
    if kind == "gzip":
        return _GzipReader(buffered), kind
    if kind == "zstd":
        import zstandard
        return zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True), kind
    return buffered, kind


def compress_gzip(src: BinaryIO, dst: BinaryIO, level: int = 6) -> None:
    c = zlib.compressobj(level, zlib.DEFLATED, 31)
    for chunk in iter(lambda: src.read(READ_SIZE), b""):
        dst.write(c.compress(chunk))
    dst.write(c.flush())
