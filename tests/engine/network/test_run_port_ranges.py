"""`container run -p` with container port ranges, on real containers, like `docker run -p`:
``A-B:80-81`` pairs the ports, ``80-81`` gives each a random host port, an IP and /udp apply
to every port of the range, mismatched ranges are refused with Docker's message and nothing
is created."""
from __future__ import annotations

import json
import socket
import subprocess

import pytest

from tests.fixtures.network import run_cli, unique
from tests.fixtures.hostports import free_ports, http_get

pytestmark = pytest.mark.root

TWO_HTTPD = ("sh", "-c", "mkdir /w80 /w81; echo port80 > /w80/index.html; "
             "echo port81 > /w81/index.html; httpd -p 80 -h /w80; exec httpd -f -p 81 -h /w81")


def _no_rules(cid: str) -> bool:
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
    return f"pycompose:c:{cid[:16]}" not in rules


def test_paired_range(net_engine, busybox_image, capsys):
    first = free_ports(2)
    code, out, err = run_cli(net_engine, capsys, "container", "run", "-d", "--name", unique("c"),
                          "-p", f"{first}-{first + 1}:80-81", "busybox", *TWO_HTTPD)
    assert code == 0, err
    cid = out.strip()
    try:
        assert run_cli(net_engine, capsys, "container", "port", cid)[1] == (
            f"80/tcp -> 0.0.0.0:{first}\n80/tcp -> [::]:{first}\n"
            f"81/tcp -> 0.0.0.0:{first + 1}\n81/tcp -> [::]:{first + 1}\n")
        assert run_cli(net_engine, capsys, "container", "port", cid, "81/tcp")[1] == (
            f"0.0.0.0:{first + 1}\n[::]:{first + 1}\n")
        for host in ("127.0.0.1", "::1"):
            assert http_get(host, first) == b"port80\n"
            assert http_get(host, first + 1) == b"port81\n"
    finally:
        net_engine.containers.remove(cid, force=True)
    assert _no_rules(cid)


def test_random_ports_for_a_range(net_engine, busybox_image, capsys):
    code, out, err = run_cli(net_engine, capsys, "container", "run", "-d", "--name", unique("c"),
                          "-p", "80-81", "busybox", *TWO_HTTPD)
    assert code == 0, err
    cid = out.strip()
    try:
        ports = net_engine.containers.inspect(cid).ports
        by_target = {}
        for p in ports:
            by_target.setdefault(p.container_port, set()).add((p.host_ip, p.host_port))
        assert sorted(by_target) == [80, 81]
        host80 = {hp for _, hp in by_target[80]}
        host81 = {hp for _, hp in by_target[81]}
        assert len(host80) == len(host81) == 1 and host80 != host81   # [::] twin: same port
        assert {ip for ip, _ in by_target[80]} == {"0.0.0.0", "::"}
        code, out, _ = run_cli(net_engine, capsys, "container", "inspect", cid)
        doc = json.loads(out)[0]
        assert doc["HostConfig"]["PortBindings"] == {            # as asked, like docker inspect
            "80/tcp": [{"HostIp": "", "HostPort": ""}], "81/tcp": [{"HostIp": "", "HostPort": ""}]}
        port80 = next(iter(host80))
        assert doc["NetworkSettings"]["Ports"]["80/tcp"] == [
            {"HostIp": "0.0.0.0", "HostPort": str(port80)}, {"HostIp": "::", "HostPort": str(port80)}]
        assert http_get("127.0.0.1", host80.pop()) == b"port80\n"
        assert http_get("::1", host81.pop()) == b"port81\n"
    finally:
        net_engine.containers.remove(cid, force=True)
    assert _no_rules(cid)


def test_udp_range_on_one_address(net_engine, busybox_image, capsys):
    first = free_ports(2)
    code, out, err = run_cli(net_engine, capsys, "container", "create", "--name", unique("c"),
                          "-p", f"127.0.0.1:{first}-{first + 1}:80-81/udp", "busybox", "sleep", "30")
    assert code == 0, err
    cid = out.strip()
    try:
        assert run_cli(net_engine, capsys, "container", "start", cid)[0] == 0
        assert run_cli(net_engine, capsys, "container", "port", cid)[1] == (
            f"80/udp -> 127.0.0.1:{first}\n81/udp -> 127.0.0.1:{first + 1}\n")
        code, out, _ = run_cli(net_engine, capsys, "container", "ps", "--format", "{{.Ports}}",
                            "--filter", f"id={cid}")
        assert out == f"127.0.0.1:{first}->80/udp, 127.0.0.1:{first + 1}->81/udp\n"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:   # the ports are held
            with pytest.raises(OSError):
                s.bind(("127.0.0.1", first + 1))
    finally:
        net_engine.containers.remove(cid, force=True)
    assert _no_rules(cid)


@pytest.mark.parametrize("spec, message", [
    ("{p}-{q}:80-82", "invalid ranges specified for container and host Ports: 80-82 and {p}-{q}"),
    ("{p}:80-81", "invalid ranges specified for container and host Ports: 80-81 and {p}"),
])
def test_mismatched_ranges_create_nothing(net_engine, busybox_image, capsys, spec, message):
    first = free_ports(2)
    fields = {"p": first, "q": first + 1}
    name = unique("c")
    code, out, err = run_cli(net_engine, capsys, "container", "run", "-d", "--name", name,
                          "-p", spec.format(**fields), "busybox", "sleep", "30")
    assert code != 0 and out == ""
    assert err.strip() == message.format(**fields)
    assert all(c.name.lstrip("/") != name for c in net_engine.containers.list(all=True))
