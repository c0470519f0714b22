"""Renderers for engine/compose events: plain lines, JSON lines, or a rich live display.

    r = make_renderer(mode)     # mode: auto|tty|plain|json|quiet
    r(event)                    # an engine.events.Event or compose event
    r.close()
"""
from __future__ import annotations

import json
import sys
import threading


class PlainRenderer:
    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()

    def __call__(self, ev) -> None:
        line = f"{_kind_title(ev.kind)} {ev.id} {ev.status}"
        if ev.text:
            line += f" {ev.text}"
        with self._lock:
            self.stream.write(line.rstrip() + "\n")
            self.stream.flush()

    def close(self) -> None:
        pass


class JsonRenderer(PlainRenderer):
    def __call__(self, ev) -> None:
        rec = {"kind": ev.kind, "id": ev.id, "status": ev.status}
        if ev.text:
            rec["text"] = ev.text
        if ev.current is not None:
            rec["current"] = ev.current
        if ev.total is not None:
            rec["total"] = ev.total
        with self._lock:
            self.stream.write(json.dumps(rec) + "\n")
            self.stream.flush()


class QuietRenderer(PlainRenderer):
    def __call__(self, ev) -> None:
        pass


def _kind_title(kind: str) -> str:
    return kind[:1].upper() + kind[1:]


def make_renderer(mode: str = "auto", stream=None):
    stream = stream or sys.stderr
    if mode == "json":
        return JsonRenderer(stream)
    if mode == "quiet":
        return QuietRenderer(stream)
    if mode in ("tty", "auto") and stream.isatty():
        try:
            from .render_tty import TtyRenderer
            return TtyRenderer(stream)
        except ImportError:
            pass
    return PlainRenderer(stream)
