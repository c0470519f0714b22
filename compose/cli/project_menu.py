"""`up --menu`: Docker Compose's navigation menu in attached mode on a terminal.

Docker Compose draws a one-line menu under the logs and reads single keys:

    w Enable Watch   d Detach

* ``w`` toggles watch mode (the project's ``develop.watch`` rules, as ``up --watch``); without
  any rule it says so (Docker Compose: "Watch is not yet configured...");
* ``d`` detaches: the logs stop, the containers keep running, ``up`` exits 0;
* Ctrl+C stops the stack as usual (the terminal keeps ISIG, so SIGINT still arrives).

``v`` (View in Docker Desktop) and ``o`` (View Config) need Docker Desktop and are not offered.
Enabled by ``--menu`` or, when the flag is not given, ``COMPOSE_MENU`` (true/1/yes); only
when stdin and stdout are terminals and ``up`` runs attached.

The menu sits on the terminal's last row: the scrolling region is limited to the rows above
it (DECSTBM), logs scroll there, the menu line is redrawn after each key and on resize.
"""
from __future__ import annotations

import os
import sys
import threading
from typing import Callable, Optional

WATCH_NOT_CONFIGURED = ("Watch is not yet configured. Learn more: "
                        "https://docs.docker.com/compose/file-watch/")


def menu_enabled(flag: Optional[bool], environ=None) -> bool:
    """--menu wins; otherwise COMPOSE_MENU; never without a terminal on stdin and stdout."""
    env = os.environ if environ is None else environ
    wanted = flag if flag is not None else \
        env.get("COMPOSE_MENU", "").strip().lower() in ("1", "true", "yes", "y")
    if not wanted:
        return False
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def menu_text(watching: bool, color: bool = True) -> str:
    """The menu line, as Docker Compose words it (without the Docker Desktop entries)."""
    def key(k: str) -> str:
        return f"\x1b[1m{k}\x1b[0m" if color else k

    def nav(t: str) -> str:
        return f"\x1b[2m{t}\x1b[0m" if color else t
    watch = " Disable Watch" if watching else " Enable Watch"
    return key("w") + nav(watch) + nav("   ") + key("d") + nav(" Detach")


class NavigationMenu:
    """Reads keys from a terminal and keeps the menu line drawn. ``toggle_watch()`` returns
    True/False (watching now or not) or None when watch is not configured; ``detach()`` is
    called on ``d``."""

    def __init__(self, toggle_watch: Callable[[], Optional[bool]], detach: Callable[[], None],
                 *, stdin=None, stdout=None, color: bool = True) -> None:
        self.toggle_watch = toggle_watch
        self.detach = detach
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.color = color
        self.watching = False
        self.info = ""
        self._saved = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ terminal
    def start(self) -> None:
        import termios
        import tty
        fd = self.stdin.fileno()
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd, termios.TCSANOW)          # keys one by one, no echo, ISIG kept
        self._region()
        self.draw()
        threading.Thread(target=self._read_keys, name="compose-menu", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            rows = self._rows()
            self._write(f"\x1b7\x1b[{rows};1H\x1b[2K\x1b[r\x1b8")   # clear menu, full region
        if self._saved is not None:
            import termios
            try:
                termios.tcsetattr(self.stdin.fileno(), termios.TCSADRAIN, self._saved)
            except (OSError, ValueError):
                pass
            self._saved = None

    def _rows(self) -> int:
        try:
            rows = os.get_terminal_size(self.stdout.fileno()).lines
        except (OSError, ValueError):
            rows = 0
        return rows if rows >= 2 else 24        # a terminal that reports no size

    def _region(self) -> None:
        rows = self._rows()
        # make room for the menu, then scroll only the rows above it
        self._write(f"\n\x1b[1A\x1b7\x1b[1;{max(1, rows - 1)}r\x1b8")

    def draw(self) -> None:
        with self._lock:
            rows = self._rows()
            line = menu_text(self.watching, self.color)
            if self.info:
                line += "   " + self.info
            self._write(f"\x1b7\x1b[{rows};1H\x1b[2K{line}\x1b8")

    def _write(self, text: str) -> None:
        try:
            self.stdout.write(text)
            self.stdout.flush()
        except (OSError, ValueError):
            pass

    # ------------------------------------------------------------------ keys
    def _read_keys(self) -> None:
        import select
        fd = self.stdin.fileno()
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([fd], [], [], 0.2)
                if not ready:
                    continue
                data = os.read(fd, 1)
            except (OSError, ValueError):
                return
            if not data:
                return
            self.handle(data.decode(errors="replace"))

    def handle(self, key: str) -> None:
        """React to one key (also the entry point of the tests)."""
        if key == "d":
            self.detach()
        elif key == "w":
            state = self.toggle_watch()
            if state is None:
                self.info = WATCH_NOT_CONFIGURED
            else:
                self.watching = state
                self.info = ""
            self.draw()
