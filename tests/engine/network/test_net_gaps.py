"""Issue 5 gaps, with real containers: IPv6 networks, a host-port range for one container
port, SCTP ports, Docker's predefined host / none networks."""
from __future__ import annotations

import json
import socket
import subprocess

import pytest

from compose.cli.main import run as cli
from engine.errors import Conflict, InvalidArgument, NetworkError
from engine.types import ContainerSpec, EndpointSpec, ExecSpec, IPAMPool, NetworkSpec, PortBinding
from tests.fixtures.network import unique
from tests.fixtures.hostports import free_ports, http_get

pytestmark = pytest.mark.root

HTTPD = ("sh", "-c", "echo hello-range > /tmp/index.html; exec httpd -f -p 80 -h /tmp")


def _exec(engine, cid, *cmd) -> tuple[int, str]:
    chunks = []
    code = engine.containers.exec(cid, ExecSpec(cmd=cmd), stdout=chunks.append,
                                  stderr=chunks.append)
    return code, b"".join(chunks).decode()


def _saved(tool: str, tag: str) -> list[str]:
    out = subprocess.run([tool], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if tag in line]


def _start(engine, made: list, **fields):
    info = engine.containers.create(ContainerSpec(image="busybox:latest", name=unique("c"),
                                                  **fields))
    made.append(info.id)
    engine.containers.start(info.id)
    return engine.containers.inspect(info.id)


def _remove_all(engine, made):
    for cid in made:
        engine.containers.remove(cid, force=True)


def test_ipv6_network_between_containers(net_engine, busybox_image):
    net = unique("v6")
    info = net_engine.networks.create(NetworkSpec(name=net, enable_ipv6=True))
    v4, v6 = info.subnets
    assert v6.subnet.startswith("fd") and v6.subnet.endswith("::/64") and ":" not in v4.subnet
    tag = f"pycompose:n:{info.id[:16]}"
    static = v6.subnet.replace("::/64", "::99")
    made = []
    try:
        ep = {net: EndpointSpec(aliases=("one",))}
        first = _start(net_engine, made, command=("sleep", "60"), network_mode=net, networks=ep)
        second = _start(net_engine, made, command=("sleep", "60"), network_mode=net,
                        networks={net: EndpointSpec(ipv6_address=static)})
        addr1 = first.networks[net]["GlobalIPv6Address"]
        assert addr1 == v6.subnet.replace("::/64", "::2")
        assert first.networks[net]["IPv6Gateway"] == v6.gateway
        assert second.networks[net]["GlobalIPv6Address"] == static
        code, out = _exec(net_engine, first.id, "ip", "-6", "addr", "show", "eth0")
        assert code == 0 and f"{addr1}/64" in out, out
        code, out = _exec(net_engine, first.id, "ip", "-6", "route")
        assert f"default via {v6.gateway}" in out, out
        code, out = _exec(net_engine, first.id, "ping", "-6", "-c1", "-W3", static)
        assert code == 0, out
        code, out = _exec(net_engine, second.id, "nslookup", "-type=AAAA", "one", "127.0.0.11")
        assert code == 0 and addr1 in out, out
        code, out = _exec(net_engine, first.id, "cat", "/etc/hosts")
        assert f"{addr1}\t" in out, out
        assert len(_saved("ip6tables-save", tag)) >= 5 and len(_saved("iptables-save", tag)) >= 5
        doc = net_engine.networks.inspect_dict(net)
        assert doc["EnableIPv6"] is True
        assert [c["Subnet"] for c in doc["IPAM"]["Config"]] == [v4.subnet, v6.subnet]
        assert doc["Containers"][first.id]["IPv6Address"] == f"{addr1}/64"
    finally:
        _remove_all(net_engine, made)
    net_engine.networks.remove(net)
    assert _saved("ip6tables-save", tag) == [] and _saved("iptables-save", tag) == []


def test_ipv6_bad_input_leaves_nothing(net_engine):
    with pytest.raises(InvalidArgument, match="IPv6 is not enabled"):
        net_engine.networks.create(NetworkSpec(name=unique("n"), ipam=(IPAMPool(subnet="fd00:77::/64"),)))
    with pytest.raises(InvalidArgument, match="invalid IPv6 subnet"):
        net_engine.networks.create(NetworkSpec(name=unique("n"), enable_ipv6=True,
                                               ipam=(IPAMPool(subnet="fd00:zz::/64"),)))
    with pytest.raises(InvalidArgument, match="outside subnet"):
        net_engine.networks.create(NetworkSpec(name=unique("n"), enable_ipv6=True, ipam=(
            IPAMPool(subnet="fd00:77::/64", gateway="fd00:78::1"),)))
    assert net_engine.networks.list({"type": "custom"}) == []
    explicit = net_engine.networks.create(NetworkSpec(name=unique("n"), enable_ipv6=True, ipam=(
        IPAMPool(subnet="fd00:77:" + unique("")[1:5] + "::/64"),)))
    assert explicit.subnets[1].gateway.endswith("::1")
    net_engine.networks.remove(explicit.id)


def test_host_port_range_binds_first_free_port(net_engine, busybox_image):
    net = unique("pr")
    net_engine.networks.create(NetworkSpec(name=net))
    start = free_ports(4, ipv6=False)
    squatter = socket.socket()
    squatter.bind(("0.0.0.0", start))                       # a host process holds the first
    made = []
    try:
        web = _start(net_engine, made, command=HTTPD, network_mode=net,
                     ports=(PortBinding(80, host_port=start, host_port_end=start + 3),))
        assert [(p.host_ip, p.host_port) for p in web.ports] == [("0.0.0.0", start + 1),
                                                                 ("::", start + 1)]
        assert http_get("127.0.0.1", start + 1) == b"hello-range\n"
        # every port of start..start+1 taken (host process, first container): refused, and
        # nothing of the second container is left running or holding a rule
        loser = net_engine.containers.create(ContainerSpec(
            image="busybox:latest", name=unique("c"), command=HTTPD, network_mode=net,
            ports=(PortBinding(80, host_port=start, host_port_end=start + 1),)))
        made.append(loser.id)
        with pytest.raises(NetworkError, match=f"{start}-{start + 1} failed: port is already allocated"):
            net_engine.containers.start(loser.id)
        assert net_engine.containers.inspect(loser.id).state.status != "running"
        assert _saved("iptables-save", f"pycompose:c:{loser.id[:16]}") == []
        assert not net_engine.layout.netns_path(loser.id).exists()
    finally:
        squatter.close()
        _remove_all(net_engine, made)
    assert _saved("iptables-save", f"--dport {start + 1} ") == []
    net_engine.networks.remove(net)


def _kernel_has_sctp() -> bool:
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132).close()
        return True
    except OSError:
        return False


def test_sctp_port(net_engine, busybox_image):
    """Published where the kernel has SCTP (DNAT rule with -p sctp); a clear error naming the
    port otherwise, with nothing left behind."""
    net = unique("sc")
    net_engine.networks.create(NetworkSpec(name=net))
    info = net_engine.containers.create(ContainerSpec(
        image="busybox:latest", name=unique("c"), command=("sleep", "60"), network_mode=net,
        ports=(PortBinding(5000, protocol="sctp"),)))
    tag = f"pycompose:c:{info.id[:16]}"
    try:
        if _kernel_has_sctp():
            net_engine.containers.start(info.id)
            port = net_engine.containers.inspect(info.id).ports[0]
            assert port.protocol == "sctp" and port.host_port
            assert any("-p sctp" in line for line in _saved("iptables-save", tag))
        else:
            with pytest.raises(NetworkError, match="5000/sctp: this kernel has no SCTP support"):
                net_engine.containers.start(info.id)
            assert net_engine.containers.inspect(info.id).state.status != "running"
            assert not net_engine.layout.netns_path(info.id).exists()
    finally:
        net_engine.containers.remove(info.id, force=True)
    assert _saved("iptables-save", tag) == []
    net_engine.networks.remove(net)


def test_predefined_host_and_none_networks(net_engine, busybox_image, capsys):
    root = ["--root", str(net_engine.layout.root), "--runroot", str(net_engine.layout.runroot)]
    made = []
    try:
        on_host = _start(net_engine, made, command=("sleep", "60"), network_mode="host")
        on_none = _start(net_engine, made, command=("sleep", "60"), network_mode="none")
        assert set(net_engine.networks.inspect("host").containers) == {on_host.id}
        assert set(net_engine.networks.inspect("none").containers) == {on_none.id}
        capsys.readouterr()
        assert cli(root + ["network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}"]) == 0
        assert capsys.readouterr().out.splitlines() == ["bridge bridge local", "host host local",
                                                        "none null local"]   # like docker0
        assert cli(root + ["network", "inspect", "host", "none"]) == 0
        docs = json.loads(capsys.readouterr().out)
        assert [(d["Name"], d["Driver"], d["IPAM"]["Config"]) for d in docs] == [
            ("host", "host", []), ("none", "null", [])]
        assert docs[0]["Containers"][on_host.id]["Name"] == on_host.name
        host_id = docs[0]["Id"]
        assert net_engine.networks.inspect(host_id[:12]).name == "host"
        assert cli(root + ["network", "ls", "-q", "--filter", "driver=null"]) == 0
        assert capsys.readouterr().out == docs[1]["Id"][:12] + "\n"
        for name in ("host", "none", "bridge"):
            assert cli(root + ["network", "rm", name]) == 1
            assert capsys.readouterr().err == f"{name} is a pre-defined network and cannot be removed\n"
        assert cli(root + ["network", "create", "host"]) == 1
        assert capsys.readouterr().err == "operation is not permitted on predefined host network\n"
        with pytest.raises(Conflict, match="connected to host network"):
            net_engine.networks.connect("host", on_none.id)
        assert net_engine.networks.prune() == []
    finally:
        _remove_all(net_engine, made)
    assert net_engine.networks.inspect("host").containers == {}


def test_ipv6_networks_are_isolated(net_engine):
    """Sandboxes (real netns + veths, no container process) on two IPv6 networks: each reaches
    its gateway over IPv6, never the other network."""
    from tests.fixtures.network import in_netns, make_info
    nets = [unique("i6"), unique("i6")]
    for name in nets:
        net_engine.networks.create(NetworkSpec(name=name, enable_ipv6=True))
    boxes = []
    try:
        for name in nets:
            info = make_info(networks={name: EndpointSpec()})
            boxes.append((info, net_engine.networks.setup_sandbox(info)))
        (_, one), (_, two) = boxes
        gw = one.endpoints[nets[0]]["IPv6Gateway"]
        assert in_netns(one.netns_path, "ping", "-6", "-c1", "-W2", gw).returncode == 0
        other = two.endpoints[nets[1]]["GlobalIPv6Address"]
        assert in_netns(one.netns_path, "ping", "-6", "-c1", "-W1", other).returncode != 0
    finally:
        for info, _ in boxes:
            net_engine.networks.teardown_sandbox(info.id)
        for name in nets:
            net_engine.networks.remove(name)
