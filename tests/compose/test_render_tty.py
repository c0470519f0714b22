"""The rich live progress display draws one line per object with its final status."""
from __future__ import annotations

import io

from compose.cli.render_tty import TtyRenderer
from engine.events import Event


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_tty_renderer_final_frame():
    out = FakeTty()
    r = TtyRenderer(out)
    r(Event("network", "demo_default", "Creating"))
    r(Event("network", "demo_default", "Created"))
    r(Event("container", "demo-db-1", "Starting"))
    r(Event("container", "demo-db-1", "Healthy"))
    r(Event("container", "demo-web-1", "Error", "port is already allocated"))
    r(Event("warning", "", "Found orphan containers"))
    r.close()
    text = out.getvalue()
    assert "[+] Running 3/3" in text
    assert "Network demo_default" in text and "Created" in text
    assert "Container demo-db-1" in text and "Healthy" in text
    assert "✘" in text and "Container demo-web-1" in text
    assert "WARN" in text and "Found orphan containers" in text
