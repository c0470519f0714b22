"""Docker's json-file log format: writer (in the shim) and a tolerant reader.

One JSON object per line: {"log": "<line with its \\n>", "stream": "stdout"|"stderr",
"time": "<RFC 3339, nanoseconds, UTC>"}. Files: <id>-json.log, rotated to .1, .2, ...
when max-size is reached (max-file files in all). The writer never raises: a full disk
drops lines (counted in ``dropped``) and the container goes on. The reader skips lines it
cannot parse, so a line truncated by ENOSPC or a crash never breaks ``logs``.

Imports stay minimal: this module is loaded by the shim.
"""
from __future__ import annotations

import json
import os
import time

MAX_LINE = 16 * 1024          # Docker splits longer lines into 16 KiB partial entries


def timestamp(ns: int | None = None) -> str:
    ns = time.time_ns() if ns is None else ns
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"


def parse_size(value) -> int:
    """'10m' / '1k' / '2g' / '123' -> bytes (-1 / '' -> unlimited)."""
    if value in (None, "", -1, "-1"):
        return -1
    if isinstance(value, int):
        return value
    text = str(value).strip().lower().rstrip("b")
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


class JsonLogWriter:
    def __init__(self, path: str, max_size: int = -1, max_file: int = 1):
        self.path = path
        self.max_size = max_size
        self.max_file = max(1, max_file)
        self.partial = {"stdout": b"", "stderr": b""}
        self.dropped = 0
        self.fd = -1
        self.size = 0
        self._open()

    def _open(self) -> None:
        try:
            self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC,
                              0o640)
            self.size = os.fstat(self.fd).st_size
        except OSError:
            self.fd = -1

    def write(self, stream: str, data: bytes) -> None:
        buf = self.partial[stream] + data
        while True:
            nl = buf.find(b"\n")
            if nl < 0:
                break
            self._entry(stream, buf[:nl + 1])
            buf = buf[nl + 1:]
        while len(buf) >= MAX_LINE:
            self._entry(stream, buf[:MAX_LINE])
            buf = buf[MAX_LINE:]
        self.partial[stream] = buf

    def flush_partial(self) -> None:
        for stream, buf in self.partial.items():
            if buf:
                self._entry(stream, buf)
                self.partial[stream] = b""

    def _entry(self, stream: str, line: bytes) -> None:
        record = json.dumps({"log": line.decode("utf-8", "replace"), "stream": stream,
                             "time": timestamp()}, ensure_ascii=False) + "\n"
        raw = record.encode()
        if self.max_size > 0 and self.size + len(raw) > self.max_size and self.size > 0:
            self._rotate()
        if self.fd < 0:
            self._open()
            if self.fd < 0:
                self.dropped += 1
                return
        try:
            written = os.write(self.fd, raw)
            self.size += written
            if written < len(raw):
                self.dropped += 1
        except OSError:
            self.dropped += 1          # ENOSPC, EIO...: drop the line, never block or die

    def _rotate(self) -> None:
        try:
            if self.fd >= 0:
                os.close(self.fd)
            self.fd = -1
            if self.max_file <= 1:
                os.truncate(self.path, 0)
            else:
                for i in range(self.max_file - 1, 0, -1):
                    src = self.path if i == 1 else f"{self.path}.{i - 1}"
                    if os.path.exists(src):
                        os.replace(src, f"{self.path}.{i}")
        except OSError:
            pass
        self._open()

    def close(self) -> None:
        self.flush_partial()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


# --------------------------------------------------------------------------- reading


def parse_time(text: str) -> float:
    """RFC 3339 (any fraction, Z or ±hh:mm) -> epoch seconds (float, µs precision is fine)."""
    import calendar
    text = text.strip()
    offset = 0
    if text.endswith("Z"):
        text = text[:-1]
    elif len(text) > 6 and text[-6] in "+-" and text[-3] == ":":
        sign = 1 if text[-6] == "+" else -1
        offset = sign * (int(text[-5:-3]) * 3600 + int(text[-2:]) * 60)
        text = text[:-6]
    main, _, frac = text.partition(".")
    if "T" not in main:
        main += "T00:00:00"
    base = calendar.timegm(time.strptime(main, "%Y-%m-%dT%H:%M:%S"))
    return base + (float("0." + frac) if frac else 0.0) - offset


def log_files(path: str) -> list[str]:
    """Rotated files oldest first, then the live file."""
    rotated = []
    i = 1
    while os.path.exists(f"{path}.{i}"):
        rotated.append(f"{path}.{i}")
        i += 1
    return list(reversed(rotated)) + ([path] if os.path.exists(path) else [])


def parse_line(raw: bytes):
    """(stream, time text, bytes) or None for a line that is not a complete entry."""
    try:
        rec = json.loads(raw)
        return rec["stream"], rec["time"], rec["log"].encode()
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def read_entries(path: str):
    """Every parseable entry of every file, oldest first."""
    for name in log_files(path):
        try:
            with open(name, "rb") as f:
                for raw in f:
                    if not raw.endswith(b"\n"):
                        continue         # truncated last line
                    entry = parse_line(raw)
                    if entry is not None:
                        yield entry
        except OSError:
            continue
