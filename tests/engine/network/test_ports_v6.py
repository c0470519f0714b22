"""Ports published on IPv6 host addresses, with real containers (busybox httpd) reached from
the host over IPv6 through netd's userland proxy: ``[::1]:P:80``, ``[::]:P:80``, the ``[::]``
twin of a port published without host IP (Docker binds and lists 0.0.0.0 and [::]), a
container on an IPv6 network, UDP; the port-taken errors name the address; nothing (holder,
proxy, rule, netd registration) is left after rm."""
from __future__ import annotations

import json
import socket
import subprocess

import pytest

from engine.errors import NetworkError
from engine.types import ContainerSpec, EndpointSpec, NetworkSpec, PortBinding
from tests.fixtures.network import make_info, run_cli, unique
from tests.fixtures.hostports import free_ports, http_get

pytestmark = pytest.mark.root

HTTPD = ("sh", "-c", "echo hello-v6 > /tmp/index.html; exec httpd -f -p 80 -h /tmp")


def _refused(host: str, port: int, family=socket.AF_INET) -> bool:
    with socket.socket(family) as s:
        s.settimeout(2)
        try:
            s.connect((host, port))
        except ConnectionRefusedError:
            return True
    return False


def _host_ipv6() -> str:
    out = subprocess.run(["ip", "-6", "-o", "addr", "show", "scope", "global"],
                         capture_output=True, text=True).stdout.split()
    return out[out.index("inet6") + 1].split("/")[0] if "inet6" in out else ""


def _netd_registered(engine) -> list[str]:
    from engine.network import netd_client
    reply = netd_client.request(engine.layout.netd_socket, {"op": "ping"}, start=False)
    return (reply or {}).get("registered", [])


def _port_is_free(host: str, port: int, family=socket.AF_INET6) -> bool:
    """Nothing listens on or holds the port (SO_REUSEADDR, like a server: the TIME_WAIT of
    relayed connections does not count)."""
    listening = subprocess.run(["ss", "-Hltnu", f"sport = :{port}"], capture_output=True,
                               text=True).stdout.strip()
    if listening:
        return False
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def _assert_released(engine, cid: str, checks) -> None:
    assert cid not in _netd_registered(engine)
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
    assert f"pycompose:c:{cid[:16]}" not in rules
    for host, port, family in checks:
        assert _port_is_free(host, port, family), (host, port)


def test_port_on_ipv6_loopback(net_engine, busybox_image, capsys):
    port = free_ports()
    code, out, err = run_cli(net_engine, capsys, "container", "run", "-d", "--name", unique("c"),
                          "-p", f"[::1]:{port}:80", "busybox", *HTTPD)
    assert code == 0, err
    cid = out.strip()
    try:
        assert http_get("::1", port) == b"hello-v6\n"
        assert _refused("127.0.0.1", port)                       # IPv6 loopback only
        assert run_cli(net_engine, capsys, "container", "port", cid)[1] == f"80/tcp -> [::1]:{port}\n"
        assert run_cli(net_engine, capsys, "container", "port", cid, "80")[1] == f"[::1]:{port}\n"
        code, out, _ = run_cli(net_engine, capsys, "container", "inspect", cid)
        ports = json.loads(out)[0]["NetworkSettings"]["Ports"]
        assert ports == {"80/tcp": [{"HostIp": "::1", "HostPort": str(port)}]}
        code, out, _ = run_cli(net_engine, capsys, "container", "ps", "--format", "{{.Ports}}",
                            "--filter", f"id={cid}")
        assert out == f"[::1]:{port}->80/tcp\n"
        # taken: a second container gets Docker's message naming the address, nothing left
        name = unique("c")
        code, out, err = run_cli(net_engine, capsys, "container", "run", "-d", "--name", name,
                              "-p", f"[::1]:{port}:80", "busybox", *HTTPD)
        assert code != 0 and f"Bind for ::1:{port} failed: port is already allocated" in err
        loser = net_engine.containers.inspect(name)
        assert not loser.state.running and not net_engine.layout.netns_path(loser.id).exists()
        _assert_released(net_engine, loser.id, [])
        net_engine.containers.remove(loser.id, force=True)
    finally:
        net_engine.containers.remove(cid, force=True)
    _assert_released(net_engine, cid, [("::1", port, socket.AF_INET6)])


def test_all_addresses_binds_ipv4_and_ipv6_like_docker(net_engine, busybox_image, capsys):
    port = free_ports()
    code, out, err = run_cli(net_engine, capsys, "container", "run", "-d", "--name", unique("c"),
                          "-p", f"{port}:80", "busybox", *HTTPD)
    assert code == 0, err
    cid = out.strip()
    try:
        assert run_cli(net_engine, capsys, "container", "port", cid)[1] == (
            f"80/tcp -> 0.0.0.0:{port}\n80/tcp -> [::]:{port}\n")
        code, out, _ = run_cli(net_engine, capsys, "container", "ps", "--format", "{{.Ports}}",
                            "--filter", f"id={cid}")
        assert out == f"0.0.0.0:{port}->80/tcp, [::]:{port}->80/tcp\n"
        code, out, _ = run_cli(net_engine, capsys, "container", "inspect", cid)
        assert json.loads(out)[0]["NetworkSettings"]["Ports"] == {"80/tcp": [
            {"HostIp": "0.0.0.0", "HostPort": str(port)}, {"HostIp": "::", "HostPort": str(port)}]}
        assert http_get("127.0.0.1", port) == b"hello-v6\n"     # DNAT
        assert http_get("::1", port) == b"hello-v6\n"                            # proxy
        global6 = _host_ipv6()
        if global6:                                  # the host's own IPv6 address
            assert http_get(global6, port) == b"hello-v6\n"
        # [::] explicitly, on the same port: ours already holds it
        code, out, err = run_cli(net_engine, capsys, "container", "create", "--name", unique("c"),
                              "-p", f"[::]:{port}:80", "busybox", *HTTPD)
        assert code == 0, err
        other = out.strip()
        code, _, err = run_cli(net_engine, capsys, "container", "start", other)
        assert code != 0 and f"Bind for :::{port} failed: port is already allocated" in err
        _assert_released(net_engine, other, [])
        net_engine.containers.remove(other, force=True)
    finally:
        net_engine.containers.remove(cid, force=True)
    _assert_released(net_engine, cid, [("::", port, socket.AF_INET6),
                                       ("0.0.0.0", port, socket.AF_INET)])


def test_ipv6_port_taken_by_a_host_process(net_engine, busybox_image):
    port = free_ports()
    squatter = socket.socket(socket.AF_INET6)
    squatter.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    squatter.bind(("::", port))
    squatter.listen(1)
    try:
        for binding in (PortBinding(80, host_ip="::", host_port=port),
                        PortBinding(80, host_port=port)):        # the [::] twin too
            info = net_engine.containers.create(ContainerSpec(
                image="busybox:latest", name=unique("c"), command=HTTPD, ports=(binding,)))
            try:
                with pytest.raises(NetworkError, match=rf"failed to bind host port \[::\]:{port}/tcp: "
                                                       "address already in use"):
                    net_engine.containers.start(info.id)
                assert not net_engine.containers.inspect(info.id).state.running
                assert not net_engine.layout.netns_path(info.id).exists()
                _assert_released(net_engine, info.id, [])
                with socket.socket() as s4:          # the 0.0.0.0 holder was let go too
                    s4.bind(("0.0.0.0", port))
            finally:
                net_engine.containers.remove(info.id, force=True)
    finally:
        squatter.close()


def test_ipv6_port_of_a_container_on_an_ipv6_network(net_engine, busybox_image):
    net = unique("v6p")
    net_engine.networks.create(NetworkSpec(name=net, enable_ipv6=True))
    port = free_ports()
    info = net_engine.containers.create(ContainerSpec(
        image="busybox:latest", name=unique("c"), command=HTTPD, network_mode=net,
        ports=(PortBinding(80, host_ip="::1", host_port=port),)))
    try:
        net_engine.containers.start(info.id)
        assert net_engine.containers.inspect(info.id).networks[net]["GlobalIPv6Address"]
        assert http_get("::1", port) == b"hello-v6\n"
    finally:
        net_engine.containers.remove(info.id, force=True)
    _assert_released(net_engine, info.id, [("::1", port, socket.AF_INET6)])
    net_engine.networks.remove(net)


def test_udp_on_ipv6_host_address(net_engine, tmp_path):
    """A UDP datagram to [::1]:P reaches the sandbox and the reply comes back from [::1]:P."""
    import sys
    net = unique("u6")
    net_engine.networks.create(NetworkSpec(name=net))
    port = free_ports()
    info = make_info(networks={net: EndpointSpec()},
                     ports=(PortBinding(5353, "udp", "::1", port),))
    sb = net_engine.networks.setup_sandbox(info)
    echo = subprocess.Popen(
        ["nsenter", f"--net={sb.netns_path}", sys.executable, "-c",
         "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
         "s.bind(('',5353));s.settimeout(10)\nwhile True:\n d,a=s.recvfrom(100);s.sendto(b'echo:'+d,a)"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.settimeout(0.3)
            for _ in range(30):                  # until the echo server is up
                s.sendto(b"ping6", ("::1", port))
                try:
                    data, addr = s.recvfrom(100)
                    break
                except TimeoutError:
                    continue
            else:
                raise AssertionError("no UDP reply over IPv6")
        assert data == b"echo:ping6" and addr[:2] == ("::1", port)
    finally:
        echo.kill()
        echo.wait(timeout=5)
        net_engine.networks.teardown_sandbox(info.id)
    _assert_released(net_engine, info.id, [("::1", port, socket.AF_INET6)])
    net_engine.networks.remove(net)
