"""Quiet-period batching of file events (Docker Compose pkg/watch/debounce.go).

Events accumulate (deduplicated by path, first change kept) until no new event arrived for
``quiet`` seconds; then the whole batch is handed out at once. The clock is injectable so the
unit tests need no sleeps.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Optional

QUIET_PERIOD = 0.5


class Batcher:
    def __init__(self, quiet: float = QUIET_PERIOD, clock: Callable[[], float] = time.monotonic) -> None:
        self.quiet = quiet
        self.clock = clock
        self._pending: dict[str, object] = {}
        self._last: Optional[float] = None
        self._lock = threading.Lock()

    def add(self, path: str, change: object = None) -> None:
        with self._lock:
            self._pending.setdefault(path, change)
            self._last = self.clock()

    def pending(self) -> int:
        return len(self._pending)

    def remaining(self) -> Optional[float]:
        """Seconds until the current batch is due (None when nothing is pending)."""
        if not self._pending:
            return None
        return max(0.0, self._last + self.quiet - self.clock())

    def take(self, force: bool = False) -> dict[str, object]:
        """The batch (path -> first change) once the quiet period elapsed, else {}."""
        with self._lock:
            if not self._pending:
                return {}
            if not force and self.clock() - self._last < self.quiet:
                return {}
            batch, self._pending, self._last = self._pending, {}, None
            return batch
