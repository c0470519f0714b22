"""Network objects: create / inspect / list / remove / prune, bad input, the CLI."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from compose.cli.main import run as cli
from engine.errors import Conflict, InvalidArgument, NotFound
from engine.types import EndpointSpec, IPAMPool, NetworkSpec
from tests.fixtures.network import make_info, unique

pytestmark = pytest.mark.root


def _rules_for(net_id: str) -> list[str]:
    out = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if f"pycompose:n:{net_id[:16]}" in line]


def test_create_inspect_list_remove(net_engine):
    name = unique("net")
    info = net_engine.networks.create(NetworkSpec(name=name, labels={"com.docker.compose.project": "p1"}))
    assert len(info.id) == 64 and len(info.bridge) <= 15
    assert os.path.exists(f"/sys/class/net/{info.bridge}")
    assert _rules_for(info.id) == []              # rules come with the first endpoint
    pool = info.subnets[0]
    assert pool.gateway.endswith(".1")
    addr = subprocess.run(["ip", "-4", "addr", "show", info.bridge], capture_output=True, text=True).stdout
    assert f"{pool.gateway}/{pool.subnet.split('/')[1]}" in addr
    assert net_engine.networks.inspect(name).id == info.id
    assert net_engine.networks.inspect(info.id[:10]).name == name
    assert [n.name for n in net_engine.networks.list({"label": ["com.docker.compose.project=p1"]})] == [name]
    assert net_engine.networks.list({"label": ["com.docker.compose.project=other"]}) == []
    # a second network gets a different subnet, never one routed on the host
    other = net_engine.networks.create(NetworkSpec(name=unique("net")))
    assert other.subnets[0].subnet != pool.subnet
    net_engine.networks.remove(name)
    assert not os.path.exists(f"/sys/class/net/{info.bridge}") and _rules_for(info.id) == []
    # a network that had endpoints: its rules exist from the first one on, go with the network
    used = net_engine.networks.create(NetworkSpec(name=unique("u")))
    member = make_info(networks={used.name: EndpointSpec()})
    net_engine.networks.setup_sandbox(member)
    assert len(_rules_for(used.id)) >= 5                    # isolation, forward, masquerade
    net_engine.networks.teardown_sandbox(member.id)
    assert len(_rules_for(used.id)) >= 5                    # kept while the network exists
    net_engine.networks.remove(used.name)
    assert _rules_for(used.id) == [] and not os.path.exists(f"/sys/class/net/{used.bridge}")
    with pytest.raises(NotFound, match="not found"):
        net_engine.networks.inspect(name)
    assert net_engine.networks.prune() == [other.name]


@pytest.mark.parametrize("pool,error,msg", [
    (IPAMPool(subnet="10.77.0.0/33"), InvalidArgument, "invalid subnet"),
    (IPAMPool(subnet="10.77.0.1/24"), InvalidArgument, "host bits"),
    (IPAMPool(subnet="banana"), InvalidArgument, "invalid subnet"),
    (IPAMPool(subnet="10.77.0.0/24", gateway="10.78.0.1"), InvalidArgument, "outside subnet"),
    (IPAMPool(subnet="10.77.0.0/24", ip_range="10.77.1.0/25"), InvalidArgument, "not inside subnet"),
    (IPAMPool(gateway="10.77.0.1"), InvalidArgument, "needs a subnet"),
])
def test_bad_pools_leave_nothing(net_engine, pool, error, msg):
    with pytest.raises(error, match=msg):
        net_engine.networks.create(NetworkSpec(name=unique("bad"), ipam=(pool,)))
    assert net_engine.networks.list({"type": "custom"}) == [] and os.listdir(net_engine.layout.networks) == []


def test_conflicts(net_engine):
    name = unique("c")
    net = net_engine.networks.create(NetworkSpec(name=name, ipam=(IPAMPool(subnet="10.79.0.0/16"),)))
    with pytest.raises(Conflict, match=f"network with name {name} already exists"):
        net_engine.networks.create(NetworkSpec(name=name))
    with pytest.raises(Conflict, match="Pool overlaps"):
        net_engine.networks.create(NetworkSpec(name=unique("o"), ipam=(IPAMPool(subnet="10.79.3.0/24"),)))
    with pytest.raises(Conflict, match="a network interface named lo already exists"):
        net_engine.networks.create(NetworkSpec(name=unique("lo"),
                                               driver_opts={"com.docker.network.bridge.name": "lo"}))
    assert os.path.exists("/sys/class/net/lo")
    with pytest.raises(InvalidArgument, match="invalid network name"):
        net_engine.networks.create(NetworkSpec(name="-x"))
    with pytest.raises(InvalidArgument, match="not supported"):
        net_engine.networks.create(NetworkSpec(name=unique("d"), driver="overlay"))
    info = make_info(networks={name: EndpointSpec()})
    net_engine.networks.setup_sandbox(info)
    with pytest.raises(Conflict, match=f"network {name} id {net.id} has active endpoints"):
        net_engine.networks.remove(name)
    assert net_engine.networks.prune() == []
    assert list(net_engine.networks.inspect(name).containers) == [info.id]
    net_engine.networks.teardown_sandbox(info.id)
    net_engine.networks.remove(name)


def test_cli(net_engine, capsys):
    root = ["--root", str(net_engine.layout.root), "--runroot", str(net_engine.layout.runroot)]
    name = unique("cli")
    assert cli(root + ["network", "create", "--subnet", "10.81.0.0/24", "--gateway", "10.81.0.254",
                       "--label", "team=h5", "--internal", name]) == 0
    net_id = capsys.readouterr().out.strip()
    assert len(net_id) == 64
    assert cli(root + ["network", "ls"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["NETWORK", "ID", "NAME", "DRIVER", "SCOPE"]
    rows = [line.split() for line in out[1:]]
    assert [net_id[:12], name, "bridge", "local"] in rows
    assert [r[1] for r in rows] == ["bridge", name, "host", "none"]    # bridge like docker0
    assert cli(root + ["network", "ls", "--format", "json", "--filter", "label=team=h5"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["Name"] == name and row["Internal"] == "true" and row["Labels"] == "team=h5"
    assert cli(root + ["network", "inspect", name]) == 0
    doc = json.loads(capsys.readouterr().out)[0]
    assert doc["IPAM"]["Config"] == [{"Subnet": "10.81.0.0/24", "Gateway": "10.81.0.254"}]
    assert cli(root + ["network", "inspect", "-f", "{{.Name}} {{.Internal}}", name]) == 0
    assert capsys.readouterr().out == f"{name} true\n"
    assert cli(root + ["network", "create", "--subnet", "10.81.0.0/16", unique("x")]) == 1
    assert "Pool overlaps" in capsys.readouterr().err
    assert cli(root + ["network", "rm", name, "missing-net"]) == 1
    io = capsys.readouterr()
    assert io.out == f"{name}\n" and "network missing-net not found" in io.err
    assert cli(root + ["network", "rm", "-f", "missing-net"]) == 0
    assert cli(root + ["network", "ls", "-q"]) == 0           # only Docker's predefined ones
    assert capsys.readouterr().out.split() == [net_engine.networks.inspect(n).id[:12]
                                               for n in ("bridge", "host", "none")]
