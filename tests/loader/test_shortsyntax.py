"""Short syntax parsers produce the long syntax Docker Compose prints."""
import pytest

from compose.errors import ConfigError
from compose.loader.shortsyntax import extra_hosts, key_value_list, parse_device, parse_port, parse_volume


def test_ports():
    assert parse_port("127.0.0.1:8080:80/udp") == [
        {"mode": "ingress", "host_ip": "127.0.0.1", "target": 80, "published": "8080", "protocol": "udp"}]
    assert parse_port(3000) == [{"mode": "ingress", "target": 3000, "protocol": "tcp"}]
    assert [p["published"] for p in parse_port("8000-8001:9000-9001")] == ["8000", "8001"]
    assert parse_port("[::1]:53:53")[0]["host_ip"] == "::1"
    assert parse_port("8000-8010:80")[0]["published"] == "8000-8010"


@pytest.mark.parametrize("spec", ["80:80:80:80", "abc", "8000-8001:9000-9003", ""])
def test_bad_ports(spec):
    with pytest.raises(ConfigError):
        parse_port(spec)


def test_volumes():
    assert parse_volume("/data") == {"type": "volume", "target": "/data", "volume": {}}
    assert parse_volume("data:/d:ro,nocopy") == {"type": "volume", "source": "data", "target": "/d",
                                                 "read_only": True, "volume": {"nocopy": True}}
    assert parse_volume("./x:/x:z,rshared") == {
        "type": "bind", "source": "./x", "target": "/x",
        "bind": {"selinux": "z", "propagation": "rshared", "create_host_path": True}}
    assert parse_volume("~/h:/h")["type"] == "bind"
    with pytest.raises(ConfigError):
        parse_volume("a:b:c:d")


def test_devices_hosts_and_key_values():
    assert parse_device("/dev/a:/dev/b") == {"source": "/dev/a", "target": "/dev/b", "permissions": "rwm"}
    assert extra_hosts(["a:1.2.3.4", "b=::1", "a=5.6.7.8"]) == {"a": ["1.2.3.4", "5.6.7.8"], "b": ["::1"]}
    assert key_value_list(["A=1", "B", "C=x=y"]) == {"A": "1", "B": None, "C": "x=y"}
    assert key_value_list({"A": 1, "B": True, "C": None, "D": 1.5}) == {"A": "1", "B": "true", "C": None, "D": "1.5"}
