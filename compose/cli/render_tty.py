"""A live progress display on a terminal (rich), shaped like Docker Compose's::

    [+] Running 3/3
     ✔ Network demo_default    Created                    0.1s
     ✔ Container demo-db-1     Healthy                    1.2s
     ⠋ Container demo-web-1    Starting                   0.3s

One line per object; a line turns green with ✔ when its status is final. Warnings and
errors are printed above the live area. Pull/build progress (current/total) shows as a
percentage.
"""
from __future__ import annotations

import threading
import time

DONE = {"Created", "Started", "Healthy", "Removed", "Stopped", "Recreated", "Pulled", "Running",
        "Exited", "Built", "Killed", "Paused", "Unpaused", "Restarted", "Deleted", "Waiting done",
        "Resource is still in use"}
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class TtyRenderer:
    def __init__(self, stream) -> None:
        from rich.console import Console
        from rich.live import Live
        self.console = Console(file=stream, highlight=False)
        self._rows: dict[tuple, dict] = {}
        self._lock = threading.Lock()
        self._live = Live(self._render(), console=self.console, refresh_per_second=10,
                          transient=False, get_renderable=self._render)
        self._started = False

    def __call__(self, ev) -> None:
        if ev.kind == "warning":
            self.console.print(f"[yellow]WARN[/yellow] {ev.id + ': ' if ev.id else ''}{ev.status}")
            return
        if ev.kind in ("layer", "build-step") and ev.status not in DONE:
            key = (ev.kind, ev.id)
        else:
            key = (ev.kind, ev.id)
        with self._lock:
            row = self._rows.get(key)
            if row is None:
                row = self._rows[key] = {"start": time.monotonic(), "end": None}
            row.update(status=ev.status, text=ev.text, current=ev.current, total=ev.total)
            row["end"] = time.monotonic() if ev.status in DONE or ev.status == "Error" else None
        if not self._started:
            self._started = True
            self._live.start()

    def _render(self):
        from rich.table import Table
        from rich.text import Text
        with self._lock:
            rows = list(self._rows.items())
        done = sum(1 for _, r in rows if r["end"] is not None)
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=2)
        grid.add_column()
        grid.add_column()
        grid.add_column(justify="right")
        tick = SPINNER[int(time.monotonic() * 10) % len(SPINNER)]
        for (kind, ident), r in rows:
            end = r["end"] or time.monotonic()
            status = r["status"]
            if r.get("total"):
                status += f" {100 * (r.get('current') or 0) // r['total']}%"
            if r.get("text") and r["end"] is None:
                status += f" {r['text']}"
            error = r["status"] == "Error"
            mark = Text("✘", style="red") if error else (
                Text("✔", style="green") if r["end"] is not None else Text(tick, style="blue"))
            grid.add_row(mark, Text(f"{kind[:1].upper()}{kind[1:]} {ident}"),
                         Text(status, style="red" if error else ("green" if r["end"] else "")),
                         Text(f"{end - r['start']:.1f}s", style="dim"))
        title = Text(f"[+] Running {done}/{len(rows)}")
        from rich.console import Group
        return Group(title, grid)

    def close(self) -> None:
        if self._started:
            self._live.stop()
            self._started = False
