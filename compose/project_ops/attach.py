"""Attached mode: prefixed, coloured log lines of a project's containers ("web-1  | ...")
that re-follow containers when they restart, and report each container's exit.

    printer = LogPrinter(stream, color=True, prefix=True, timestamps=False)
    follower = Follower(engine, project_name, services, printer, on_exit=cb)
    follower.start(); ...; follower.stop()
"""
from __future__ import annotations

import queue
import sys
import threading
import time
from typing import Callable, Optional

from engine.errors import EngineError

from .. import labels as L
from ..naming import log_prefix

# Docker Compose cycles through these ANSI colours for prefixes.
PALETTE = ("36", "33", "32", "35", "34", "96", "93", "92", "95", "94")


class LogPrinter:
    def __init__(self, stream=None, *, color: bool = True, prefix: bool = True,
                 timestamps: bool = False, project: str = "") -> None:
        self.stream = stream or sys.stdout
        self.color = color
        self.prefix = prefix
        self.timestamps = timestamps
        self.project = project
        self.width = 0
        self._colors: dict[str, str] = {}
        self._lock = threading.Lock()

    def register(self, name: str) -> None:
        with self._lock:
            short = log_prefix(self.project, name)
            self.width = max(self.width, len(short) + 1)   # Docker Compose: "web-1  | "
            if name not in self._colors:
                self._colors[name] = PALETTE[len(self._colors) % len(PALETTE)]

    def _head(self, name: str) -> str:
        if not self.prefix:
            return ""
        short = log_prefix(self.project, name)
        text = f"{short:<{self.width}} | "
        if self.color:
            return f"\x1b[{self._colors.get(name, PALETTE[0])}m{text}\x1b[0m"
        return text

    def line(self, name: str, text: str, ts: str = "") -> None:
        body = f"{ts} {text}" if self.timestamps and ts else text
        with self._lock:
            try:
                self.stream.write(self._head(name) + body + "\n")
                self.stream.flush()
            except (BrokenPipeError, ValueError):
                pass

    def status(self, name: str, text: str) -> None:
        """A line about a container (e.g. "web-1 exited with code 0")."""
        with self._lock:
            try:
                self.stream.write(f"{log_prefix(self.project, name)} {text}\n")
                self.stream.flush()
            except (BrokenPipeError, ValueError):
                pass


def print_stream(printer: LogPrinter, name: str, chunks) -> None:
    """Write an engine log iterator of (stream, ts, bytes) as prefixed lines."""
    partial = b""
    last_ts = ""
    for item in chunks:
        _stream, ts, data = item if len(item) == 3 else ("stdout", "", item[-1])
        last_ts = ts or last_ts
        partial += data if isinstance(data, bytes) else str(data).encode()
        *lines, partial = partial.split(b"\n")
        for raw in lines:
            printer.line(name, raw.decode(errors="replace").rstrip("\r"), last_ts)
    if partial:
        printer.line(name, partial.decode(errors="replace"), last_ts)


class Follower:
    """Follows every (non one-off) container of the given services until stopped."""

    def __init__(self, engine, project_name: str, services, printer: LogPrinter, *,
                 on_exit: Optional[Callable] = None, tail: Optional[int] = None,
                 poll: float = 0.5) -> None:
        self.engine = engine
        self.project = project_name
        self.services = set(services)
        self.printer = printer
        self.on_exit = on_exit or (lambda info: None)
        self.tail = tail
        self.poll = poll
        self.stopped = threading.Event()
        self.exits: "queue.Queue" = queue.Queue()
        self._threads: dict[str, threading.Thread] = {}
        self.reported: set[str] = set()      # ids whose exit (and all output) was printed

    def containers(self) -> list:
        found = self.engine.containers.list(all=True, filters=L.project_filter(self.project, f"{L.ONEOFF}=False"))
        return sorted((c for c in found if c.labels.get(L.SERVICE) in self.services),
                      key=lambda c: c.name)

    def start(self) -> None:
        for c in self.containers():
            self.printer.register(c.name)
        self._scan()
        threading.Thread(target=self._watch, name="compose-attach-watch", daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()

    def _scan(self) -> None:
        for c in self.containers():
            if c.id not in self._threads and c.state.status not in ("created",):
                self.printer.register(c.name)
                t = threading.Thread(target=self._follow, args=(c.id, c.name), daemon=True,
                                     name=f"compose-logs-{c.name}")
                self._threads[c.id] = t
                t.start()

    def _watch(self) -> None:
        while not self.stopped.wait(self.poll):
            try:
                self._scan()
            except EngineError:
                pass

    def _follow(self, cid: str, name: str) -> None:
        tail = self.tail
        since = None
        while not self.stopped.is_set():
            try:
                print_stream(self.printer, name, self.engine.containers.logs(
                    cid, follow=True, since=since, tail=tail, timestamps=True))
                info = self.engine.containers.inspect(cid)
            except EngineError:
                return
            if info.state.running and not info.state.restarting:
                time.sleep(self.poll)          # stream ended while running: re-follow
                since, tail = time.time(), None
                continue
            if info.state.status in ("exited", "dead"):
                self.printer.status(info.name, f"exited with code {info.state.exit_code}")
                self.reported.add(cid)
                self.exits.put(info)
                self.on_exit(info)
            if not self._wait_restart(cid, info.state.restart_count):
                return
            since, tail = time.time(), None

    def _wait_restart(self, cid: str, count: int) -> bool:
        """Block until the container runs again (restart policy, `restart`) or we stop."""
        while not self.stopped.wait(self.poll):
            try:
                info = self.engine.containers.inspect(cid)
            except EngineError:
                return False
            if info.state.running and info.state.restart_count != count:
                return True
            if info.state.running:
                return True
        return False


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"
