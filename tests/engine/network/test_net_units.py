"""Pure parts: DNS wire format, name tables (round robin, mtime cache), IPAM, hosts files."""
from __future__ import annotations

import ipaddress
import json
import os

import pytest

from engine.errors import InvalidArgument, NetworkError
from engine.network import dnsmsg, hostsfiles, ipam
from engine.network.resolver import Resolver
from engine.types import IPAMPool


def test_dns_roundtrip():
    q = dnsmsg.parse_query(dnsmsg.build_query("Web.Example.", dnsmsg.TYPE_A, qid=77))
    assert (q.id, q.name, q.qtype, q.recursion_desired) == (77, "web.example", 1, True)
    rcode, addrs = dnsmsg.parse_a_answers(dnsmsg.answer_a(q, ["10.0.0.2", "10.0.0.3"]))
    assert (rcode, addrs) == (0, ["10.0.0.2", "10.0.0.3"])
    assert dnsmsg.parse_a_answers(dnsmsg.answer_error(q, dnsmsg.RCODE_NXDOMAIN)) == (3, [])
    ptr = dnsmsg.answer_ptr(dnsmsg.parse_query(dnsmsg.build_query("2.0.0.10.in-addr.arpa", 12)),
                            ["web.net"])
    assert b"\x03web\x03net\x00" in ptr
    assert dnsmsg.reverse_name_to_ip("2.0.28.172.in-addr.arpa") == "172.28.0.2"
    with pytest.raises(dnsmsg.DNSFormatError):
        dnsmsg.parse_query(b"\x00\x01")
    assert dnsmsg.formerr(b"\xab\xcd" + b"\x00" * 3)[:2] == b"\xab\xcd"


def test_resolver_round_robin_and_reload(tmp_path):
    path = tmp_path / "endpoints.json"

    def write(eps):
        path.write_text(json.dumps({"network": "app_default", "endpoints": eps}))
        st = os.stat(path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))   # a new mtime

    write({"a" * 64: {"name": "app-web-1", "ip": "10.1.0.2", "aliases": ["web"], "hostname": "h1"},
           "b" * 64: {"name": "app-web-2", "ip": "10.1.0.3", "aliases": ["web"]}})
    r = Resolver()
    nets = [str(tmp_path)]
    first, second = r.lookup(nets, "web"), r.lookup(nets, "WEB.")
    assert sorted(first) == ["10.1.0.2", "10.1.0.3"] and first != second
    assert r.lookup(nets, "app-web-1.app_default") == ["10.1.0.2"]
    assert r.lookup(nets, "h1") == ["10.1.0.2"] and r.lookup(nets, "a" * 12) == ["10.1.0.2"]
    assert r.reverse(nets, "10.1.0.3") == ["app-web-2.app_default"]
    write({"b" * 64: {"name": "app-web-2", "ip": "10.1.0.3", "aliases": ["web"]}})
    assert r.lookup(nets, "web") == ["10.1.0.3"] and r.lookup(nets, "h1") == []


def test_ipam_pools_and_allocation():
    taken = [ipaddress.ip_network("172.17.0.0/16"), ipaddress.ip_network("172.18.5.0/24")]
    assert str(ipam.pick_subnet(taken)) == "172.19.0.0/16"
    subnet, rng, gw, aux = ipam.parse_pool(IPAMPool(subnet="10.5.0.0/24", ip_range="10.5.0.8/29",
                                                    gateway="10.5.0.1", aux_addresses={"r": "10.5.0.9"}), "n")
    used = {str(gw), *aux.values()}
    assert ipam.allocate(subnet, rng, used) == "10.5.0.8"
    assert ipam.allocate(subnet, rng, used | {"10.5.0.8"}) == "10.5.0.10"
    full = {str(a) for a in rng}
    with pytest.raises(NetworkError, match="no available IPv4 addresses"):
        ipam.allocate(subnet, rng, full)
    with pytest.raises(InvalidArgument, match="aux address r 10.6.0.1 is outside subnet"):
        ipam.parse_pool(IPAMPool(subnet="10.5.0.0/24", aux_addresses={"r": "10.6.0.1"}), "n")


def test_hosts_and_resolv_text():
    text = hostsfiles.hosts_text("web", "", "10.0.0.2", ("a:1.2.3.4", "b=::1"))
    assert text.splitlines()[-3:] == ["1.2.3.4\ta", "::1\tb", "10.0.0.2\tweb"]
    with pytest.raises(InvalidArgument, match="extra_hosts"):
        hostsfiles.hosts_text("web", "", "10.0.0.2", ("nonsense",))
    resolv = hostsfiles.resolv_text(embedded=True, dns=("9.9.9.9",), dns_search=("a.b",),
                                    dns_opt=("attempts:2",))
    assert resolv.startswith("nameserver 127.0.0.11\nsearch a.b\noptions ndots:0 attempts:2\n")
    assert "ExtServers: [9.9.9.9]" in resolv
    plain = hostsfiles.resolv_text(embedded=False, dns=("9.9.9.9", "1.1.1.1"))
    assert plain.startswith("nameserver 9.9.9.9\nnameserver 1.1.1.1\n")
    assert hostsfiles.upstream_servers(("127.0.0.53",)) == ["127.0.0.53"]
    assert hostsfiles.upstream_servers(("127.0.0.53",), from_host_ns=False) == \
        list(hostsfiles.FALLBACK_NAMESERVERS)


def test_integer_subnet_choice_equals_the_ipaddress_one():
    """`network create`'s integer IPAM (pick_free_subnet, host_route_ints) picks what
    pick_subnet over ipaddress networks picks, for random sets of taken subnets."""
    import random
    rng = random.Random(5)
    assert [ipaddress.ip_network(pair) for pair in ipam.default_candidates_int()] == \
        list(ipam.default_candidates())
    assert [ipaddress.ip_network(pair) for pair in ipam.host_route_ints()] == ipam.host_routes()
    pool = [str(c) for c in ipam.default_candidates()][:40]
    for _ in range(400):
        ours = [rng.choice(pool + [f"172.{rng.randint(0, 40)}.{rng.randint(0, 255)}.0/24",
                                   f"192.168.{rng.randrange(0, 256, 4)}.0/22", "172.16.0.0/12",
                                   "10.0.0.0/8"]) for _ in range(rng.randint(0, 14))]
        taken = [ipaddress.ip_network(o) for o in ours] + ipam.host_routes()
        try:
            want = ipam.pick_subnet(taken)
            expected = (str(want), str(next(want.hosts())))
        except NetworkError as e:
            expected = str(e)
        try:
            got = ipam.pick_free_subnet(ours)
        except NetworkError as e:
            got = str(e)
        assert got == expected, ours
    for prefix in range(1, 33):
        mask = int(ipaddress.ip_network(f"0.0.0.0/{prefix}").netmask)
        assert ipam._prefix_of_mask(mask) == prefix
        hostmask = str(ipaddress.IPv4Address(mask ^ 0xFFFFFFFF))
        assert ipam._prefix_of_mask(mask ^ 0xFFFFFFFF) == \
            ipaddress.ip_network(f"0.0.0.0/{hostmask}").prefixlen
    assert ipam._prefix_of_mask(0xFF00FF00) is None


def test_endpoint_spec_dict_is_asdict_with_alias_list():
    import dataclasses

    from engine.network import bridge, store
    from engine.types import EndpointSpec
    for spec in (EndpointSpec(), EndpointSpec(aliases=("a", "b"), ipv4_address="10.0.0.9",
                                              driver_opts={"k": "v"}, gw_priority=2)):
        expected = dataclasses.asdict(spec)
        expected["aliases"] = list(spec.aliases)
        assert store.endpoint_spec_dict(spec) == expected
    import hashlib
    assert bridge.veth_name("c1", "n1") == "pcv" + hashlib.sha256(b"c1/n1").hexdigest()[:11]


def test_integer_allocation_equals_the_ipaddress_one():
    """hot plug / start allocate with ipam.allocate_text (integers): the same address or the
    same error as ipam.allocate over ipaddress networks; mac_for without ipaddress."""
    import random

    from engine.network import bridge
    rng = random.Random(7)
    for subnet, ip_range in (("10.9.0.0/24", ""), ("10.9.0.0/24", "10.9.0.128/25"),
                             ("172.20.0.0/16", ""), ("10.1.2.0/30", ""), ("10.1.2.0/31", ""),
                             ("10.1.2.4/32", ""), ("192.168.16.0/20", "192.168.20.0/28")):
        net = ipaddress.ip_network(subnet)
        space = list(ipaddress.ip_network(ip_range) if ip_range else net)[:300]
        for _ in range(30):
            used = {str(a) for a in rng.sample(space, rng.randint(0, len(space)))}
            try:
                expected = ipam.allocate(net, ipaddress.ip_network(ip_range) if ip_range else None,
                                         used)
            except NetworkError as e:
                expected = str(e)
            try:
                got = ipam.allocate_text(subnet, ip_range, used)
            except NetworkError as e:
                got = str(e)
            assert got == expected, (subnet, ip_range, sorted(used))
    for ip in ("10.9.0.3", "172.17.255.254", "0.0.0.1"):
        assert bridge.mac_for(ip) == "02:42:" + ":".join(
            f"{b:02x}" for b in ipaddress.IPv4Address(ip).packed)
