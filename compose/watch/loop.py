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

    def roots(self) -> list[str]:
        """Existing paths to watch (a path inside another watched one is covered by it)."""
        paths = sorted({t.path for t in self.targets})
        out = []
        for p in paths:
            if not os.path.exists(p):
                self.log(f"watch path {p} does not exist, it is not watched")
                continue
            if not any(p.startswith(r.rstrip("/") + "/") for r in out):
                out.append(p)
        return out

    def run(self, stop: threading.Event) -> None:
        import watchfiles
        roots = self.roots()
        self.initial_sync()
        if not roots:
            self.log("Watch enabled")
            stop.wait()
            return
        enabled = False
        for changes in watchfiles.watch(*roots, watch_filter=None, step=50, debounce=400,
                                        rust_timeout=100, yield_on_timeout=True,
                                        stop_event=stop, raise_interrupt=True):
            if not enabled:                 # the first yield: the inotify watches are in place
                enabled = True
                self.log("Watch enabled")
            for _change, path in changes:
                if any(t.matches(path) for t in self.targets):
                    self.batcher.add(path, _change)
            batch = self.batcher.take()
            if batch:
                self.handle(list(batch))
        batch = self.batcher.take(force=True)      # nothing is lost on a clean stop
        if batch and not stop.is_set():
            self.handle(list(batch))

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
