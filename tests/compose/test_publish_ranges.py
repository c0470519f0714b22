"""Published host port ranges for one container port ("8000-8010:80"): the compose file's
ports, `run -p` and `container run -p` all hand the engine host_port..host_port_end."""
from __future__ import annotations

import pytest

from compose.errors import UsageError


def test_compose_file_range_reaches_the_binding(tmp_path, monkeypatch):
    from compose import convert
    from compose.loader import LoadOptions, load_project
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text(
        'services:\n  a:\n    image: busybox\n    ports: ["8000-8010:80", "127.0.0.1:9000-9001:90-91/udp",'
        ' {target: 70, published: "7000-7005"}, "6000:60", "5000-5000:50"]\n')
    got = [(b.container_port, b.protocol, b.host_ip, b.host_port, b.host_port_end)
           for b in convert._ports(load_project(LoadOptions()).services["a"])]
    assert got == [(80, "tcp", "", 8000, 8010), (90, "udp", "127.0.0.1", 9000, None),
                   (91, "udp", "127.0.0.1", 9001, None), (70, "tcp", "", 7000, 7005),
                   (60, "tcp", "", 6000, None), (50, "tcp", "", 5000, None)]


@pytest.mark.parametrize("text, want", [
    ("8000-8010:80", ("", 8000, 8010, 80, "tcp")),
    ("127.0.0.1:8000-8010:80/udp", ("127.0.0.1", 8000, 8010, 80, "udp")),
    ("8000:80", ("", 8000, None, 80, "tcp")),
    ("8000-8000:80", ("", 8000, None, 80, "tcp")),
    ("80", ("", None, None, 80, "tcp")),
])
def test_run_and_container_run_publish_ranges(text, want):
    from compose.cli.container_cmd.args import parse_publish as container_publish
    from compose.project_ops.run import parse_publish as run_publish
    for parse in (container_publish, run_publish):
        b = parse(text)
        assert (b.host_ip, b.host_port, b.host_port_end, b.container_port, b.protocol) == want


@pytest.mark.parametrize("text", ["8010-8000:80", "-8000:80", "x-y:80"])
def test_container_run_rejects_bad_ranges(text):
    from compose.cli.container_cmd.args import parse_publish
    with pytest.raises(UsageError, match="invalid publish spec"):
        parse_publish(text)
