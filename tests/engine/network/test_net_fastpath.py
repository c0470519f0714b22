"""The fast paths of sandbox setup/teardown: in-process rtnetlink, the shim's light teardown
(record-driven, no engine.layout for --network none), stale-rule cleanup folded into one
iptables-restore. Real kernel objects; every test checks nothing is left."""
from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest

from engine.network import firewall, release, rtnl, store
from engine.network.bridge import veth_name
from engine.types import EndpointSpec, NetworkSpec
from tests.fixtures.network import in_netns, make_info, unique

pytestmark = pytest.mark.root


def test_run_paths_agree_with_layout(engine):
    cid = "ab" * 32
    record, netns = release.run_paths(str(engine.layout.runroot), cid)
    assert record == str(engine.layout.sandbox_file(cid))
    assert netns == str(engine.layout.netns_path(cid))
    paths = release.RunPaths(str(engine.layout.root), str(engine.layout.runroot))
    assert paths.sandbox_file(cid) == str(engine.layout.sandbox_file(cid))
    assert paths.netns_path(cid) == str(engine.layout.netns_path(cid))
    assert paths.netd_socket == str(engine.layout.netd_socket)
    assert paths.network_dir("n1") == str(engine.layout.network_dir("n1"))
    assert paths.networks == str(engine.layout.networks)
    assert paths.lock_file("network-n1") == str(engine.layout.lock_file("network-n1"))
    assert paths.container_dir(cid) == str(engine.layout.container_dir(cid))
    assert (paths.root, paths.runroot) == (str(engine.layout.root), str(engine.layout.runroot))


def test_light_teardown_of_a_none_sandbox_imports_nothing_heavy(net_engine):
    info = make_info(network_mode="none")
    sb = net_engine.networks.setup_sandbox(info)
    assert os.path.exists(sb.netns_path)
    code = ("import sys; from engine.network.release import teardown_after_exit; "
            f"teardown_after_exit({str(net_engine.layout.root)!r}, "
            f"{str(net_engine.layout.runroot)!r}, {info.id!r}); "
            "print(sorted(m for m in ('pathlib', 'engine.types', 'typing', 'json', 'tempfile', "
            "'dataclasses', 'hashlib', 'engine.network.store', 'socket') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                         cwd=os.getcwd(), check=True).stdout.strip()
    assert out == "[]"
    assert not os.path.exists(sb.netns_path)
    assert not os.path.exists(net_engine.layout.sandbox_file(info.id))


def test_light_teardown_of_a_bridge_sandbox_removes_veth_and_endpoint(net_engine):
    net = unique("f")
    net_engine.networks.create(NetworkSpec(name=net))
    rec = store.find(net_engine.layout, net)
    info = make_info(networks={net: EndpointSpec()})
    sb = net_engine.networks.setup_sandbox(info)
    veth = veth_name(info.id, rec["id"])
    assert os.path.exists(f"/sys/class/net/{veth}")
    ep = sb.endpoints[net]
    assert f"default via {rec['gateway']} dev eth0" in in_netns(sb.netns_path, "ip", "route").stdout
    link = in_netns(sb.netns_path, "ip", "-o", "addr", "show", "dev", "eth0").stdout
    assert f"{ep['IPAddress']}/{ep['IPPrefixLen']}" in link
    assert ep["MacAddress"] in in_netns(sb.netns_path, "ip", "link", "show", "eth0").stdout
    code = ("import sys; from engine.network.release import teardown_after_exit; "
            f"teardown_after_exit({str(net_engine.layout.root)!r}, "
            f"{str(net_engine.layout.runroot)!r}, {info.id!r}); "
            "print(sorted(m for m in ('pathlib', 'engine.types', 'typing', 'json', 'tempfile', "
            "'dataclasses', 'hashlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                         cwd=os.getcwd(), check=True).stdout.strip()
    assert out == "[]"                  # engine.layout itself is light now (no pathlib/json)
    assert not os.path.exists(f"/sys/class/net/{veth}")
    assert not os.path.exists(sb.netns_path)
    assert info.id not in store.endpoints(net_engine.layout, rec["id"])


def test_rtnl_reports_kernel_refusals_and_missing_links():
    name = "pcbr-t" + os.urandom(4).hex()
    assert rtnl.delete_link(name) is False
    rtnl.create_bridge(name, "10.254.253.1", 30)
    try:
        with pytest.raises(OSError) as e:
            rtnl.create_bridge(name, "10.254.253.1", 30)
        assert e.value.errno == errno.EEXIST
        assert name in str(e.value)
        addrs = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", name],
                               capture_output=True, text=True).stdout
        assert "10.254.253.1/30" in addrs
    finally:
        assert rtnl.delete_link(name) is True
    assert not os.path.exists(f"/sys/class/net/{name}")


def test_stale_network_rules_replaced_in_one_restore(net_engine):
    """Rules of a network left behind (crash) are deleted when its bridge is brought back."""
    from engine.network import bridge, sysnet
    net = unique("r")
    net_engine.networks.create(NetworkSpec(name=net))
    rec = store.find(net_engine.layout, net)
    tag = firewall.network_tag(rec["id"])
    sysnet.delete_link(rec["bridge"])                 # "reboot": the device is gone, rules stay
    try:
        bridge.ensure_bridge(rec)
        saved = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
        count = sum(1 for line in saved.splitlines() if tag in line)
        assert count == sum(len(v) for v in firewall.network_rules(
            rec["id"], rec["bridge"], rec["subnet"], rec["internal"]).values())
    finally:
        net_engine.networks.remove(net)
    saved = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
    assert tag not in saved
