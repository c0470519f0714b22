"""On the REAL engine: a published host port range for one container port
(``"8000-8010:80"``) binds the first free port of the range, like Docker."""
from __future__ import annotations

import random
import socket
import urllib.request

import pytest

from tests.compose.test_e2e_engine import engine_dirs, proj  # noqa: F401 - fixtures

pytestmark = pytest.mark.root

WEB = """
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo ranged > /www/index.html; exec httpd -f -p 80 -h /www"]
    tmpfs: [/www]
    ports: ["{first}-{last}:80"]
    stop_grace_period: 1s
"""


def _range_with_first_taken(size: int = 4) -> tuple[socket.socket, int]:
    """A listening socket on the first port of a free range of ``size`` ports."""
    for _ in range(50):
        first = random.randint(20000, 40000)
        socks = []
        try:
            for port in range(first, first + size):
                s = socket.socket()
                socks.append(s)
                s.bind(("0.0.0.0", port))
        except OSError:
            for s in socks:
                s.close()
            continue
        for s in socks[1:]:
            s.close()
        socks[0].listen(1)
        return socks[0], first
    raise RuntimeError("no free port range found")


def test_published_range_skips_a_taken_first_port(proj):
    holder, first = _range_with_first_taken()
    try:
        code, out, err = proj("up", "-d", text=WEB.format(first=first, last=first + 3))
        assert code == 0, err
        info = proj.engine.containers.inspect(f"{proj.name}-web-1")
        assert [(p.container_port, p.host_ip, p.host_port) for p in info.ports] == [
            (80, "0.0.0.0", first + 1), (80, "::", first + 1)]
        code, out, err = proj("port", "web", "80")
        assert code == 0 and out.strip().endswith(f":{first + 1}"), (out, err)
        body = urllib.request.urlopen(f"http://127.0.0.1:{first + 1}/", timeout=5).read()
        assert body == b"ranged\n"
    finally:
        holder.close()


def test_container_run_publish_range_skips_a_taken_first_port(engine_dirs, engine, busybox_image,
                                                              capsys):
    from compose.cli.main import run as cli_run
    root, runroot = engine_dirs
    base = ["--root", str(root), "--runroot", str(runroot)]
    holder, first = _range_with_first_taken()
    try:
        capsys.readouterr()
        code = cli_run([*base, "container", "run", "-d", "-p", f"{first}-{first + 3}:80",
                        "busybox", "sleep", "30"])
        out, err = capsys.readouterr()
        assert code == 0, err
        cid = out.strip()
        try:
            info = engine.containers.inspect(cid)
            assert [(p.container_port, p.host_ip, p.host_port) for p in info.ports] == [
                (80, "0.0.0.0", first + 1), (80, "::", first + 1)]
        finally:
            engine.containers.remove(cid, force=True)
    finally:
        holder.close()
