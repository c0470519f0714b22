"""The watch loop: watchfiles events -> rule matching -> 500 ms batches -> actions.

    w = Watcher(engine, project, targets, log=print, prune=True, quiet=False)
    w.run(stop_event)        # blocks until stop_event is set (or KeyboardInterrupt)

Per service and batch (Docker Compose handleWatchBatch): a matching ``rebuild`` rule wins
(the service is rebuilt once, syncs are pointless then); otherwise every matching sync rule
syncs its files, ``sync+exec`` hooks run once, and the service is restarted once when a
``restart`` or ``sync+restart`` rule matched.
"""
from __future__ import annotations

import os
import queue
import threading
from typing import Callable, Optional

from . import actions
from .debounce import QUIET_PERIOD, Batcher
from .rules import SYNC_ACTIONS, WatchTarget


class Watcher:
    def __init__(self, engine, project, targets: list[WatchTarget], *, log: Callable[[str], None],
                 prune: bool = True, quiet: bool = False, on_event=None,
                 quiet_period: float = QUIET_PERIOD, timeout: Optional[float] = None) -> None:
        self.engine, self.project, self.targets = engine, project, targets
        self.log, self.prune, self.quiet, self.on_event = log, prune, quiet, on_event
        self.timeout = timeout
        self.batcher = Batcher(quiet_period)
        self.batches = 0                       # handled batches (tests poll it)

    def roots(self) -> dict[bool, list[str]]:
        """Paths to watch, by recursive flag: rule directories recursively, the parent
        directories of single-file rules non-recursively (an editor's atomic save replaces the
        file's inode, which a watch on the file itself would lose)."""
        dirs, files = [], []
        for p in sorted({t.path for t in self.targets}):
            if not os.path.exists(p):
                self.log(f"watch path {p} does not exist, it is not watched")
            elif os.path.isdir(p):
                dirs.append(p)
            else:
                files.append(os.path.dirname(p))
        covered = lambda p, roots: any(p == r or p.startswith(r.rstrip("/") + "/") for r in roots)
        top = []
        for d in dirs:
            if not covered(d, top):
                top.append(d)
        parents = sorted({f for f in files if not covered(f, top)})
        return {flag: paths for flag, paths in ((True, top), (False, parents)) if paths}

    def run(self, stop: threading.Event) -> None:
        """Watch until ``stop`` is set; KeyboardInterrupt propagates (after stopping feeders)."""
        self.initial_sync()
        events: queue.Queue = queue.Queue()
        groups = self.roots()
        feeders = [_Feeder(paths, recursive, events, stop) for recursive, paths in groups.items()]
        try:
            for f in feeders:
                f.start()
            for f in feeders:
                while not f.ready.wait(0.1) and f.is_alive():
                    pass
            self.log("Watch enabled")
            while not stop.is_set():
                try:
                    for _change, path in events.get(timeout=0.1):
                        if any(t.matches(path) for t in self.targets):
                            self.batcher.add(path, _change)
                except queue.Empty:
                    pass
                batch = self.batcher.take()
                if batch:
                    self.handle(list(batch))
        finally:
            stop.set()
            for f in feeders:
                f.join(5)

    def initial_sync(self) -> None:
        for t in self.targets:
            if t.initial_sync and t.action in SYNC_ACTIONS and os.path.exists(t.path):
                files = [t.path] if os.path.isfile(t.path) else [
                    os.path.join(d, f) for d, _, fs in os.walk(t.path) for f in fs]
                actions.sync_files(self.engine, self.project, t,
                                   [f for f in files if t.matches(f)], self.log)

    def handle(self, paths: list[str]) -> None:
        """Apply one batch of changed host paths."""
        by_service: dict[str, list[tuple[WatchTarget, list[str]]]] = {}
        for t in self.targets:
            hit = [p for p in paths if t.matches(p)]
            if hit:
                by_service.setdefault(t.service, []).append((t, hit))
        for service, matched in by_service.items():
            try:
                self._handle_service(service, matched)
            except Exception as e:              # noqa: BLE001 - keep watching, like Compose
                self.log(f"Error handling changes for service {service}: {e}")
        self.batches += 1

    def _handle_service(self, service: str, matched) -> None:
        if any(t.action == "rebuild" for t, _ in matched):
            actions.rebuild_service(self.engine, self.project, service, self.log, prune=self.prune,
                                    quiet=self.quiet, on_event=self.on_event)
            return
        restart = False
        for t, hit in matched:
            if t.action in SYNC_ACTIONS:
                actions.sync_files(self.engine, self.project, t, hit, self.log)
            if t.action == "sync+exec":
                actions.exec_hook(self.engine, self.project, t, self.log)
            restart = restart or t.action in ("restart", "sync+restart")
        if restart:
            actions.restart_service(self.engine, self.project, service, self.log, self.timeout)


class _Feeder(threading.Thread):
    """One watchfiles watcher (recursive or not) pushing change sets into a queue."""

    def __init__(self, paths: list[str], recursive: bool, out: "queue.Queue", stop: threading.Event) -> None:
        super().__init__(name="watch-feeder", daemon=True)
        self.paths, self.recursive, self.out, self.stop = paths, recursive, out, stop
        self.ready = threading.Event()

    def run(self) -> None:
        import watchfiles
        try:
            for changes in watchfiles.watch(*self.paths, watch_filter=None, step=50, debounce=400,
                                            rust_timeout=100, yield_on_timeout=True,
                                            recursive=self.recursive, stop_event=self.stop,
                                            raise_interrupt=False):
                self.ready.set()            # the first yield: the inotify watches are in place
                if changes:
                    self.out.put(changes)
        finally:
            self.ready.set()
