"""Build progress as engine events, shaped like BuildKit's plain output.

Every vertex gets a number; events have kind "build-step", id "#<n>" and status:
    "START"   text = the title ("[2/5] RUN make", "[internal] load build definition ...")
    "LOG"     text = one output line; extra["elapsed"] = seconds since the step started
    "CACHED"  the step was answered by the cache
    "DONE"    extra["elapsed"] = seconds the step took
    "ERROR"   text = the error message
    "WARN"    text = a warning (e.g. unused build args), id "#0"
The CLI renders them as "#5 [2/5] RUN make", "#5 0.213 hello", "#5 DONE 0.3s", "#5 CACHED".
"""
from __future__ import annotations

import threading
import time

from ..events import Event


class Progress:
    def __init__(self, on_event=None) -> None:
        self.sink = on_event
        self.lock = threading.Lock()
        self.counter = 0

    def emit(self, ev: Event) -> None:
        if self.sink is not None:
            self.sink(ev)

    def start(self, title: str) -> "Vertex":
        with self.lock:
            self.counter += 1
            n = self.counter
        v = Vertex(self, f"#{n}", title)
        self.emit(Event("build-step", v.id, "START", title))
        return v

    def warn(self, text: str) -> None:
        self.emit(Event("build-step", "#0", "WARN", text))


class Vertex:
    def __init__(self, progress: Progress, vid: str, title: str) -> None:
        self.progress = progress
        self.id = vid
        self.title = title
        self.t0 = time.monotonic()
        self._partial = b""
        self.tail: list[str] = []

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def log(self, line: str) -> None:
        self.tail = (self.tail + [line])[-20:]
        self.progress.emit(Event("build-step", self.id, "LOG", line,
                                 extra={"elapsed": self.elapsed()}))

    def output(self, chunk: bytes) -> None:
        """Feed raw process output; complete lines become LOG events."""
        data = self._partial + chunk
        *lines, self._partial = data.split(b"\n")
        for raw in lines:
            self.log(raw.decode("utf-8", "replace").rstrip("\r"))

    def flush(self) -> None:
        if self._partial:
            self.log(self._partial.decode("utf-8", "replace"))
            self._partial = b""

    def cached(self) -> None:
        self.progress.emit(Event("build-step", self.id, "CACHED"))

    def done(self) -> None:
        self.flush()
        self.progress.emit(Event("build-step", self.id, "DONE", extra={"elapsed": self.elapsed()}))

    def error(self, message: str) -> None:
        self.flush()
        self.progress.emit(Event("build-step", self.id, "ERROR", message,
                                 extra={"elapsed": self.elapsed()}))
