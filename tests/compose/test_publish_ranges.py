"""Published port specs: the compose file's ports, `run -p` and `container run -p` hand the
engine one PortBinding per container port, parsed like Docker (`docker run -p`: container
port ranges paired with host ranges, a host range for one container port, random host ports,
IPv6 host addresses, Docker's error texts - checked against docker 20.10's CLI)."""
from __future__ import annotations

import pytest

from compose.errors import UsageError


def test_compose_file_range_reaches_the_binding(tmp_path, monkeypatch):
    from compose import convert
    from compose.loader import LoadOptions, load_project
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text(
        'services:\n  a:\n    image: busybox\n    ports: ["8000-8010:80", "127.0.0.1:9000-9001:90-91/udp",'
        ' {target: 70, published: "7000-7005"}, "6000:60", "5000-5000:50", "[::1]:4000:40",'
        ' {target: 30, published: "3000", host_ip: "::1"}]\n')
    got = [(b.container_port, b.protocol, b.host_ip, b.host_port, b.host_port_end)
           for b in convert._ports(load_project(LoadOptions()).services["a"])]
    assert got == [(80, "tcp", "", 8000, 8010), (90, "udp", "127.0.0.1", 9000, None),
                   (91, "udp", "127.0.0.1", 9001, None), (70, "tcp", "", 7000, 7005),
                   (60, "tcp", "", 6000, None), (50, "tcp", "", 5000, None),
                   (40, "tcp", "::1", 4000, None), (30, "tcp", "::1", 3000, None)]


def _parsers():
    from compose.cli.container_cmd.args import parse_publish as container_publish
    from compose.project_ops.run import parse_publish as run_publish
    return container_publish, run_publish


@pytest.mark.parametrize("text, want", [
    ("8000-8010:80", [("", 8000, 8010, 80, "tcp")]),
    ("127.0.0.1:8000-8010:80/udp", [("127.0.0.1", 8000, 8010, 80, "udp")]),
    ("8000:80", [("", 8000, None, 80, "tcp")]),
    ("8000-8000:80", [("", 8000, None, 80, "tcp")]),
    ("80", [("", None, None, 80, "tcp")]),
    (":80", [("", None, None, 80, "tcp")]),
    ("8000-8001:80-81", [("", 8000, None, 80, "tcp"), ("", 8001, None, 81, "tcp")]),
    ("80-81", [("", None, None, 80, "tcp"), ("", None, None, 81, "tcp")]),
    ("80-81/UDP", [("", None, None, 80, "udp"), ("", None, None, 81, "udp")]),
    ("127.0.0.1:8000-8001:80-81/udp", [("127.0.0.1", 8000, None, 80, "udp"),
                                       ("127.0.0.1", 8001, None, 81, "udp")]),
    ("127.0.0.1::80", [("127.0.0.1", None, None, 80, "tcp")]),
    ("[::1]:8080:80", [("::1", 8080, None, 80, "tcp")]),
    ("::1:8080:80", [("::1", 8080, None, 80, "tcp")]),
    ("[::]:8080:80", [("::", 8080, None, 80, "tcp")]),
    ("[::1]::80-81", [("::1", None, None, 80, "tcp"), ("::1", None, None, 81, "tcp")]),
    ("80/", [("", None, None, 80, "tcp")]),
])
def test_run_and_container_run_publish_specs(text, want):
    for parse in _parsers():
        got = [(b.host_ip, b.host_port, b.host_port_end, b.container_port, b.protocol)
               for b in parse(text)]
        assert got == want, parse


@pytest.mark.parametrize("text, message", [
    ("8000-8002:80-81", "invalid ranges specified for container and host Ports: 80-81 and 8000-8002"),
    ("38000:80-81", "invalid ranges specified for container and host Ports: 80-81 and 38000"),
    ("8010-8000:80", "invalid hostPort: 8010-8000"),
    ("-8000:80", "invalid hostPort: -8000"),
    ("x-y:80", "invalid hostPort: x-y"),
    ("abc:80", "invalid hostPort: abc"),
    ("70000:80", "invalid hostPort: 70000"),
    ("8000:81-80", "invalid containerPort: 81-80"),
    ("8000:http", "invalid containerPort: http"),
    ("80/foo", "invalid proto: foo"),
    ("8000:", "no port specified: 8000:<empty>"),
    ("1.2.3:80:80", "invalid IP address: 1.2.3"),
    ("[::1]:80", "invalid IP address [:: address [::: missing ']' in address"),
])
def test_bad_publish_specs_get_dockers_message(text, message):
    for parse in _parsers():
        with pytest.raises(UsageError) as err:
            parse(text)
        assert str(err.value) == message


def test_container_run_spec_flattens_every_publish(tmp_path):
    from compose.cli.container_cmd.args import build_parser, to_spec
    ns = build_parser("pycompose container run", run=True).parse_args(
        ["-p", "8000-8001:80-81", "-p", "[::1]:9000:90/udp", "busybox"])
    spec = to_spec(ns)
    assert [(b.container_port, b.host_ip, b.host_port, b.protocol) for b in spec.ports] == [
        (80, "", 8000, "tcp"), (81, "", 8001, "tcp"), (90, "::1", 9000, "udp")]
