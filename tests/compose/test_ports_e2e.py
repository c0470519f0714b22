"""On the REAL engine: a published host port range for one container port
(``"8000-8010:80"``) binds the first free port of the range, like Docker."""
from __future__ import annotations

import json
import random
import socket
import subprocess
import urllib.request

import pytest

from tests.compose.test_e2e_engine import engine_dirs, proj  # noqa: F401 - fixtures
from tests.fixtures.hostports import free_ports, http_get

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


WEB6 = """
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo six > /www/index.html; exec httpd -f -p 80 -h /www"]
    tmpfs: [/www]
    ports: ["[::1]:{short}:80", {{target: 80, published: "{long}", host_ip: "::1"}}, "{both}:80"]
    stop_grace_period: 1s
"""


def test_compose_ports_on_ipv6_host_addresses(proj):
    """Short `[::1]:P:80`, long `host_ip: "::1"` and a port without host IP (0.0.0.0 + [::]),
    reachable over IPv6; ps / port print what Docker Compose prints; down frees everything."""
    short = free_ports()
    long_ = next(p for p in iter(free_ports, None) if p != short)
    both = next(p for p in iter(free_ports, None) if p not in (short, long_))
    code, out, err = proj("up", "-d", text=WEB6.format(short=short, long=long_, both=both))
    assert code == 0, err
    try:
        for port in (short, long_, both):
            assert http_get("::1", port) == b"six\n"
        code, out, err = proj("ps", "--format", "json")
        row = json.loads(out.splitlines()[0])
        assert row["Ports"] == (f"[::1]:{short}->80/tcp, [::1]:{long_}->80/tcp, "
                                f"0.0.0.0:{both}->80/tcp, [::]:{both}->80/tcp"), err
        assert [(p["URL"], p["PublishedPort"]) for p in row["Publishers"]] == [
            ("::1", short), ("::1", long_), ("0.0.0.0", both), ("::", both)]
        code, out, err = proj("port", "web", "80")
        assert code == 0 and out == f"::1:{short}\n", (out, err)         # compose: no brackets
    finally:
        code, _, err = proj("down")
        assert code == 0, err
    for port in (short, long_, both):
        listening = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True,
                                   text=True).stdout
        assert listening.strip() == ""


def test_stopped_container_lists_no_ports_and_start_publishes_again(proj):
    """Docker: a stopped container has no published ports (`docker port` prints nothing,
    NetworkSettings.Ports is {}, compose ps shows an empty PORTS column); start publishes
    them again from the spec (HostConfig.PortBindings stays)."""
    holder, port = _range_with_first_taken(1)
    holder.close()
    code, out, err = proj("up", "-d", text=WEB.format(first=port, last=port))
    assert code == 0, err
    name = f"{proj.name}-web-1"
    assert proj.engine.containers.inspect(name).ports
    code, out, err = proj("stop", "web")
    assert code == 0, err
    info = proj.engine.containers.inspect(name)
    assert info.state.status == "exited" and info.ports == ()
    assert proj.engine.containers.port(name) == []
    code, out, err = proj("ps", "-a", "--format", "json")
    row = json.loads(out.splitlines()[0])
    assert (row["State"], row["Ports"], row["Publishers"]) == ("exited", "", []), row
    code, out, err = proj("port", "web", "80")
    assert (code, out, err.strip()) == (1, "", 'service "web" is not running')
    code, out, err = proj("port", "--index", "2", "web", "80")
    assert (code, err.strip()) == (1, 'service "web" is not running container #2')
    code, out, err = proj("start", "web")
    assert code == 0, err
    assert [p.host_port for p in proj.engine.containers.inspect(name).ports] == [port, port]
    body = http_get("127.0.0.1", port, "/")
    assert body == b"ranged\n"
