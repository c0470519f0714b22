"""Sandboxes with real kernel objects: netns, bridges, veths, iptables, the embedded DNS.
No container runtime needed: busybox applets run in the sandbox's netns through nsenter."""
from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest

from engine.errors import NetworkError
from engine.network import dnsmsg
from engine.network.netns import run_in_netns
from engine.types import EndpointSpec, IPAMPool, NetworkSpec, PortBinding
from tests.fixtures.network import in_netns, make_info, spawn_in_netns, unique

pytestmark = pytest.mark.root


def _dig(netns_path: str, name: str, qtype: int = dnsmsg.TYPE_A) -> tuple[int, list[str]]:
    """Ask 127.0.0.11 from inside the netns (a socket made after setns), -> (rcode, addrs)."""
    def ask():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            s.sendto(dnsmsg.build_query(name, qtype), ("127.0.0.11", 53))
            return s.recv(4096)
    return dnsmsg.parse_a_answers(run_in_netns(netns_path, ask))


def _dig_tcp(netns_path: str, name: str) -> tuple[int, list[str]]:
    """The same over TCP (2-byte length prefix), which resolvers use for large answers."""
    def ask():
        with socket.create_connection(("127.0.0.11", 53), timeout=5) as s:
            query = dnsmsg.build_query(name)
            s.sendall(len(query).to_bytes(2, "big") + query)
            size = int.from_bytes(s.recv(2), "big")
            data = b""
            while len(data) < size:
                data += s.recv(size - len(data))
            return data
    return dnsmsg.parse_a_answers(run_in_netns(netns_path, ask))


def _leftovers(engine, cids, bridge=None):
    """Kernel objects still around for these containers (and this bridge)."""
    links = os.listdir("/sys/class/net")
    left = [f"netns {c[:12]}" for c in cids if os.path.exists(engine.layout.netns_path(c))]
    from engine.network.bridge import veth_name
    nets = [n.id for n in engine.networks.list()]
    left += [f"veth {veth_name(c, n)}" for c in cids for n in nets if veth_name(c, n) in links]
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
    left += [f"rule {line}" for line in rules.splitlines()
             if any(f"pycompose:c:{c[:16]}" in line for c in cids)]
    if bridge:
        left += [f"bridge {bridge}"] if bridge in links else []
    return left


def test_names_resolve_and_round_robin(net_engine):
    net = unique("n")
    net_engine.networks.create(NetworkSpec(name=net))
    web1 = make_info(unique("web"), networks={net: EndpointSpec(aliases=("web",))})
    web2 = make_info(unique("web"), networks={net: EndpointSpec(aliases=("web",))})
    client = make_info(unique("cli"), networks={net: EndpointSpec()}, hostname="myhost")
    sb1 = net_engine.networks.setup_sandbox(web1)
    sb2 = net_engine.networks.setup_sandbox(web2)
    sbc = net_engine.networks.setup_sandbox(client)
    ip1, ip2 = sb1.endpoints[net]["IPAddress"], sb2.endpoints[net]["IPAddress"]
    assert _dig(sbc.netns_path, web1.name) == (0, [ip1])
    assert _dig(sbc.netns_path, web1.name, dnsmsg.TYPE_AAAA) == (0, [])     # known, no IPv6
    assert _dig_tcp(sbc.netns_path, web1.name) == (0, [ip1])
    assert _dig(sbc.netns_path, "myhost")[1] == [sbc.endpoints[net]["IPAddress"]]
    assert _dig(sbc.netns_path, web2.id[:12])[1] == [ip2]
    answers = [_dig(sbc.netns_path, "web")[1] for _ in range(3)]
    assert all(sorted(a) == sorted([ip1, ip2]) for a in answers)
    assert len({tuple(a) for a in answers}) == 2            # the order rotates
    assert _dig(sbc.netns_path, "WEB.")[0] == 0             # case-insensitive, trailing dot
    # busybox nslookup through the resolv.conf server works too
    out = in_netns(sbc.netns_path, "nslookup", web1.name, "127.0.0.11").stdout
    assert ip1 in out
    # answers change at once when containers go
    net_engine.networks.teardown_sandbox(web1.id)
    assert _dig(sbc.netns_path, "web")[1] == [ip2]
    rcode, _ = _dig(sbc.netns_path, web1.name + ".invalid")
    assert rcode in (dnsmsg.RCODE_SERVFAIL, dnsmsg.RCODE_NXDOMAIN)
    # reachability on the same network
    assert in_netns(sbc.netns_path, "ping", "-c1", "-W3", ip2).returncode == 0
    assert "nameserver 127.0.0.11" in sbc.resolv_conf and "options ndots:0" in sbc.resolv_conf
    assert f"{sbc.endpoints[net]['IPAddress']}\tmyhost\n" in sbc.hosts


def test_isolation_internal_and_teardown(net_engine):
    a_net, b_net, int_net = unique("a"), unique("b"), unique("i")
    net_engine.networks.create(NetworkSpec(name=a_net))
    net_engine.networks.create(NetworkSpec(name=b_net))
    internal = net_engine.networks.create(NetworkSpec(name=int_net, internal=True))
    a = make_info(networks={a_net: EndpointSpec()})
    b = make_info(networks={b_net: EndpointSpec()})
    both = make_info(networks={a_net: EndpointSpec(), b_net: EndpointSpec()})
    inner = make_info(networks={int_net: EndpointSpec()})
    sa, sb, sboth, si = (net_engine.networks.setup_sandbox(x) for x in (a, b, both, inner))
    ip_b = sb.endpoints[b_net]["IPAddress"]
    assert in_netns(sa.netns_path, "ping", "-c1", "-W2", ip_b).returncode != 0       # isolated
    assert in_netns(sboth.netns_path, "ping", "-c1", "-W2", ip_b).returncode == 0    # shared net
    assert in_netns(sboth.netns_path, "ip", "link", "show", "eth1").returncode == 0
    # a container on two networks can be named on both, the others cannot see across
    assert _dig(sa.netns_path, b.name)[1] == []
    assert _dig(sboth.netns_path, b.name)[1] == [ip_b]
    # internal: no default route, no way out; the others have one via their gateway
    assert "default" not in in_netns(si.netns_path, "ip", "route").stdout
    assert "default via" in in_netns(sa.netns_path, "ip", "route").stdout
    # outbound NAT: whatever the host reaches (its default gateway), a container reaches too;
    # an internal network does not
    route = subprocess.run(["ip", "-4", "route", "show", "default"], capture_output=True,
                           text=True).stdout.split()
    host_gw = route[route.index("via") + 1] if "via" in route else "192.0.2.1"
    if subprocess.run(["/usr/bin/busybox", "ping", "-c1", "-W2", host_gw],
                      capture_output=True).returncode == 0:
        assert in_netns(sa.netns_path, "ping", "-c1", "-W3", host_gw).returncode == 0
    assert in_netns(si.netns_path, "ping", "-c1", "-W2", host_gw).returncode != 0
    cids = [x.id for x in (a, b, both, inner)]
    for cid in cids:
        net_engine.networks.teardown_sandbox(cid)
        net_engine.networks.teardown_sandbox(cid)           # idempotent
    assert _leftovers(net_engine, cids) == []
    bridge = internal.bridge
    net_engine.networks.remove(int_net)
    assert not os.path.exists(f"/sys/class/net/{bridge}")
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
    assert f"pycompose:n:{internal.id[:16]}" not in rules


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        return s.getsockname()[1]


def _host_ip() -> str:
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"],
                         capture_output=True, text=True).stdout.split()
    return out[out.index("inet") + 1].split("/")[0] if "inet" in out else "127.0.0.1"


def test_published_tcp_and_udp_ports(net_engine, tmp_path):
    net = unique("p")
    net_engine.networks.create(NetworkSpec(name=net))
    tcp_port = _free_port()
    info = make_info(networks={net: EndpointSpec()},
                     ports=(PortBinding(80, "tcp", "", tcp_port), PortBinding(5353, "udp"),
                            PortBinding(81)))
    sb = net_engine.networks.setup_sandbox(info)
    by_port = {(p.container_port, p.protocol): p for p in sb.ports if p.host_ip != "::"}
    assert by_port[(80, "tcp")].host_port == tcp_port and by_port[(80, "tcp")].host_ip == "0.0.0.0"
    udp_port = by_port[(5353, "udp")].host_port
    assert udp_port and by_port[(81, "tcp")].host_port                  # random ports resolved
    (tmp_path / "index.html").write_text("hello from the sandbox\n")
    httpd = spawn_in_netns(sb.netns_path, "httpd", "-f", "-p", "80", "-h", str(tmp_path))
    udp = subprocess.Popen(  # a UDP listener in the sandbox (python: busybox nc -u is unreliable)
        ["nsenter", f"--net={sb.netns_path}", "python3", "-c",
         "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('',5353));"
         "s.settimeout(8);print(s.recv(100).decode(),flush=True)"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(0.3)
        import urllib.request
        for host in ("127.0.0.1", _host_ip()):
            body = urllib.request.urlopen(f"http://{host}:{tcp_port}/index.html", timeout=5).read()
            assert body == b"hello from the sandbox\n"
        import select
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(40):              # until the listener is up (datagrams before are lost)
                s.sendto(b"ping-udp\n", ("127.0.0.1", udp_port))
                if select.select([udp.stdout], [], [], 0.25)[0]:
                    break
        out = udp.stdout.readline()
    finally:
        httpd.kill()
        udp.kill()
        udp.communicate(timeout=5)
        httpd.wait(timeout=5)
    assert b"ping-udp" in out
    # the port is allocated: a second container and a host process are refused
    other = make_info(networks={net: EndpointSpec()}, ports=(PortBinding(80, "tcp", "", tcp_port),))
    with pytest.raises(NetworkError, match=f"Bind for 0.0.0.0:{tcp_port} failed: port is already allocated"):
        net_engine.networks.setup_sandbox(other)
    assert _leftovers(net_engine, [other.id]) == []
    with socket.socket() as s, pytest.raises(OSError):
        s.bind(("0.0.0.0", tcp_port))
    net_engine.networks.teardown_sandbox(info.id)
    assert _leftovers(net_engine, [info.id]) == []
    with socket.socket() as s:                              # released
        s.bind(("0.0.0.0", tcp_port))


def test_port_taken_by_host_process(net_engine):
    net = unique("h")
    net_engine.networks.create(NetworkSpec(name=net))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        info = make_info(networks={net: EndpointSpec()},
                         ports=(PortBinding(80, "tcp", "127.0.0.1", port),))
        with pytest.raises(NetworkError, match=f"127.0.0.1:{port}/tcp: address already in use"):
            net_engine.networks.setup_sandbox(info)
    assert _leftovers(net_engine, [info.id]) == []
    assert not os.path.exists(net_engine.layout.sandbox_file(info.id))


def test_static_ip_mac_subnet_and_hosts_files(net_engine):
    net = unique("s")
    net_engine.networks.create(NetworkSpec(name=net, ipam=(IPAMPool(
        subnet="10.213.7.0/24", ip_range="10.213.7.128/25", gateway="10.213.7.254"),)))
    fixed = make_info(networks={net: EndpointSpec(ipv4_address="10.213.7.9",
                                                 mac_address="02:11:22:33:44:55")},
                      extra_hosts=("db.local:10.1.2.3", "gw=host-gateway"), dns_search=("corp",),
                      dns_opt=("timeout:2",), domainname="example.com", hostname="box")
    auto = make_info(networks={net: EndpointSpec()})
    net_engine.networks.setup_sandbox(fixed)
    sf = net_engine.networks.setup_sandbox(fixed)       # again without teardown (restart)
    sa = net_engine.networks.setup_sandbox(auto)
    assert sf.endpoints[net]["IPAddress"] == "10.213.7.9"
    assert sf.endpoints[net]["MacAddress"] == "02:11:22:33:44:55"
    assert sa.endpoints[net]["IPAddress"] == "10.213.7.128"
    link = in_netns(sf.netns_path, "ip", "addr", "show", "eth0").stdout
    assert "02:11:22:33:44:55" in link and "10.213.7.9/24" in link
    assert "inet6" not in link                                   # like Docker without IPv6
    assert "::1/128" in in_netns(sf.netns_path, "ip", "addr", "show", "lo").stdout
    assert "default via 10.213.7.254" in in_netns(sf.netns_path, "ip", "route").stdout
    assert "10.1.2.3\tdb.local\n" in sf.hosts and "10.213.7.254\tgw\n" in sf.hosts
    assert sf.hosts.endswith("10.213.7.9\tbox.example.com box\n")
    assert sf.hosts.startswith("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
    assert "search corp" in sf.resolv_conf and "options ndots:0 timeout:2" in sf.resolv_conf
    dup = make_info(networks={net: EndpointSpec(ipv4_address="10.213.7.9")})
    with pytest.raises(NetworkError, match="10.213.7.9 is already in use"):
        net_engine.networks.setup_sandbox(dup)
    outside = make_info(networks={net: EndpointSpec(ipv4_address="10.9.9.9")})
    with pytest.raises(Exception, match="outside subnet"):
        net_engine.networks.setup_sandbox(outside)
    assert _leftovers(net_engine, [dup.id, outside.id]) == []


def test_network_modes_none_host_container_and_default_bridge(net_engine):
    none = make_info(network_mode="none")
    sn = net_engine.networks.setup_sandbox(none)
    links = in_netns(sn.netns_path, "ip", "-o", "link").stdout
    assert "lo" in links and "eth0" not in links
    assert "127.0.0.1\tlocalhost" in sn.hosts
    net = unique("m")
    net_engine.networks.create(NetworkSpec(name=net))
    with pytest.raises(Exception, match="uses network mode 'none' and cannot be connected"):
        net_engine.networks.connect(net, none.id)
    host = make_info(network_mode="host")
    sh = net_engine.networks.setup_sandbox(host)
    assert sh.netns_path == "" and sh.hostname == socket.gethostname()
    plain = make_info(dns=("10.0.0.53",))
    sp = net_engine.networks.setup_sandbox(plain)             # default "bridge" network
    assert list(sp.endpoints) == ["bridge"]
    assert sp.resolv_conf.startswith("nameserver 10.0.0.53\n")   # host-style, no embedded DNS
    joined = make_info(network_mode=f"container:{plain.id}")
    sj = net_engine.networks.setup_sandbox(joined)
    assert sj.netns_path == sp.netns_path and sj.hosts == sp.hosts
    for c in (joined, host, none, plain):
        net_engine.networks.teardown_sandbox(c.id)
    assert _leftovers(net_engine, [none.id, plain.id]) == []
    default = net_engine.networks.inspect("bridge")
    # like docker0 the default bridge outlives its last container (no veth of it is left:
    # _leftovers checked); only the explicit engine cleanup removes it, with its rules
    assert default.containers == {} and os.path.exists(f"/sys/class/net/{default.bridge}")
    with pytest.raises(Exception, match="bridge is a pre-defined network and cannot be removed"):
        net_engine.networks.remove("bridge")
    net_engine.networks.remove("bridge", predefined=True)
    assert not os.path.exists(f"/sys/class/net/{default.bridge}")
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
    assert f"pycompose:n:{default.id[:16]}" not in rules


def test_connect_disconnect_running_and_reconcile(net_engine):
    one, two = unique("c"), unique("d")
    net_engine.networks.create(NetworkSpec(name=one))
    net_engine.networks.create(NetworkSpec(name=two))
    web = make_info(networks={two: EndpointSpec()})
    sweb = net_engine.networks.setup_sandbox(web)
    app = make_info(networks={one: EndpointSpec()})
    sapp = net_engine.networks.setup_sandbox(app)
    assert _dig(sapp.netns_path, web.name)[1] == []
    os.makedirs(net_engine.layout.container_dir(app.id), exist_ok=True)
    net_engine.networks.connect(two, app.id, EndpointSpec(aliases=("api",)))
    assert in_netns(sapp.netns_path, "ip", "link", "show", "eth1").returncode == 0
    assert _dig(sapp.netns_path, web.name)[1] == [sweb.endpoints[two]["IPAddress"]]
    assert _dig(sweb.netns_path, "api")[0] == 0 and _dig(sweb.netns_path, "api")[1]
    assert set(net_engine.networks.container_networks(app.id)) == {one, two}
    assert net_engine.networks.container_networks(app.id)[two]["Aliases"] == ["api"]
    with pytest.raises(Exception, match="has active endpoints"):
        net_engine.networks.remove(two)
    net_engine.networks.disconnect(two, app.id)
    assert in_netns(sapp.netns_path, "ip", "link", "show", "eth1").returncode != 0
    assert set(net_engine.networks.container_networks(app.id)) == {one}
    assert _dig(sweb.netns_path, "api")[1] == []
    # a crash leaves an endpoint whose netns is gone: it does not block the network
    subprocess.run(["umount", str(net_engine.layout.netns_path(web.id))], check=True)
    assert app.id in net_engine.networks.inspect(one).containers
    assert web.id not in net_engine.networks.inspect(two).containers
    assert web.id in net_engine.networks.reconcile()
    net_engine.networks.remove(two)
    net_engine.networks.teardown_sandbox(app.id)
    assert _leftovers(net_engine, [web.id, app.id]) == []


def test_unknown_names_are_forwarded_to_upstream(net_engine):
    """Names the embedded DNS does not know go to the container's dns servers (or the host's)."""
    import random
    import threading
    upstream_ip = f"127.{random.randint(60, 250)}.{random.randint(1, 250)}.{random.randint(2, 250)}"
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((upstream_ip, 53))
    server.settimeout(10)
    seen = []

    def serve():
        try:
            data, addr = server.recvfrom(4096)
        except OSError:
            return
        q = dnsmsg.parse_query(data)
        seen.append(q.name)
        server.sendto(dnsmsg.answer_a(q, ["203.0.113.7"]), addr)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    net = unique("f")
    net_engine.networks.create(NetworkSpec(name=net))
    inner_net = unique("fi")
    net_engine.networks.create(NetworkSpec(name=inner_net, internal=True))
    info = make_info(networks={net: EndpointSpec()}, dns=(upstream_ip,))
    inner = make_info(networks={inner_net: EndpointSpec()}, dns=(upstream_ip,))
    try:
        sb = net_engine.networks.setup_sandbox(info)
        si = net_engine.networks.setup_sandbox(inner)
        assert f"ExtServers: [{upstream_ip}]" in sb.resolv_conf
        assert _dig(sb.netns_path, "svc.example.test") == (0, ["203.0.113.7"])
        assert seen == ["svc.example.test"]
        assert _dig(si.netns_path, "other.example.test")[1] == []   # internal: not forwarded
        assert seen == ["svc.example.test"]
    finally:
        server.close()
        thread.join(timeout=5)


def test_dns_comes_back_after_netd_is_killed(net_engine):
    """kill -9 of the helper: the next sandbox setup starts a new one that serves every live
    sandbox again (and holds their ports)."""
    import signal
    net = unique("k")
    net_engine.networks.create(NetworkSpec(name=net))
    a = make_info(networks={net: EndpointSpec()}, ports=(PortBinding(80),))
    sa = net_engine.networks.setup_sandbox(a)
    from engine.network import netd_client
    pid = netd_client.request(net_engine.layout.netd_socket, {"op": "ping"})["pid"]
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):
        if not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z":
            break
        time.sleep(0.02)
    b = make_info(networks={net: EndpointSpec()})
    sb = net_engine.networks.setup_sandbox(b)
    assert _dig(sb.netns_path, a.name)[1] == [sa.endpoints[net]["IPAddress"]]
    assert _dig(sa.netns_path, b.name)[1] == [sb.endpoints[net]["IPAddress"]]
    with socket.socket() as s, pytest.raises(OSError):
        s.bind(("0.0.0.0", sa.ports[0].host_port))          # held again


def test_parallel_starts_and_stale_endpoint_does_not_block_rm(net_engine):
    from concurrent.futures import ThreadPoolExecutor
    net = unique("par")
    net_engine.networks.create(NetworkSpec(name=net))
    infos = [make_info(networks={net: EndpointSpec(aliases=("app",))}) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        boxes = list(pool.map(net_engine.networks.setup_sandbox, infos))
    ips = [b.endpoints[net]["IPAddress"] for b in boxes]
    assert len(set(ips)) == 4
    assert sorted(_dig(boxes[0].netns_path, "app")[1]) == sorted(ips)
    for info in infos[1:]:
        net_engine.networks.teardown_sandbox(info.id)
    # a crash (kill -9 + reboot of the run dir) leaves an endpoint whose netns is gone
    subprocess.run(["umount", str(net_engine.layout.netns_path(infos[0].id))], check=True)
    net_engine.networks.remove(net)                          # not "active endpoints", no lock wait
    net_engine.networks.teardown_sandbox(infos[0].id)
    assert _leftovers(net_engine, [i.id for i in infos]) == []


def test_default_bridge_subnet_rechosen_when_taken(net_engine):
    """After a reboot the default network's bridge is gone (its record stays); if another engine
    took its subnet meanwhile, the next start picks a free one instead of clashing."""
    first = make_info()
    net_engine.networks.setup_sandbox(first)
    default = net_engine.networks.inspect("bridge")
    old = default.subnets[0].subnet
    net_engine.networks.teardown_sandbox(first.id)
    assert os.path.exists(f"/sys/class/net/{default.bridge}")      # stays, like docker0
    subprocess.run(["ip", "link", "del", default.bridge], check=True)    # "reboot"
    squatter = "pcsq" + unique("")[:8]
    subprocess.run(["ip", "link", "add", squatter, "type", "bridge"], check=True)
    try:
        gw = old.replace(".0.0/16", ".0.1/16")
        subprocess.run(["ip", "addr", "add", gw, "dev", squatter], check=True)
        subprocess.run(["ip", "link", "set", squatter, "up"], check=True)
        second = make_info()
        sb = net_engine.networks.setup_sandbox(second)
        new = net_engine.networks.inspect("bridge").subnets[0].subnet
        assert new != old and sb.endpoints["bridge"]["IPAddress"].startswith(new.rsplit(".", 2)[0])
        net_engine.networks.teardown_sandbox(second.id)
    finally:
        subprocess.run(["ip", "link", "del", squatter], check=True)
