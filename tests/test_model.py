"""compose.model: binding the canonical dict into typed, frozen dataclasses."""
import dataclasses

import pytest

from compose.model import Project, Service, parse_bytes, parse_duration


def test_units():
    assert parse_duration("1m30s") == 90 and parse_duration("1.5s") == 1.5 and parse_duration("1h0m0s") == 3600
    assert parse_bytes("512m") == 512 * 1024 ** 2 and parse_bytes("1073741824") == 1 << 30
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_service_binding():
    s = Service.from_dict("web", {
        "image": "nginx", "command": ["a", "b"], "environment": {"A": "1", "B": None},
        "ports": [{"mode": "ingress", "target": 80, "published": "8080", "protocol": "tcp"}],
        "volumes": [{"type": "bind", "source": "/src", "target": "/dst", "read_only": True,
                     "bind": {"create_host_path": True}},
                    {"type": "tmpfs", "target": "/t", "tmpfs": {"size": "1048576"}}],
        "healthcheck": {"test": ["CMD-SHELL", "x"], "interval": "1m30s", "retries": 3},
        "deploy": {"replicas": 3, "resources": {"limits": {"cpus": 0.5, "memory": "536870912"}}},
        "depends_on": {"db": {"condition": "service_healthy", "required": True}},
        "networks": {"default": None, "front": {"aliases": ["w"]}},
        "ulimits": {"nofile": {"soft": 1, "hard": 2}, "nproc": 5},
        "stop_grace_period": "1m30s", "mem_limit": "1073741824", "x-custom": 1,
    })
    assert s.command == ("a", "b") and s.environment == {"A": "1", "B": None}
    assert s.ports[0].target == 80 and s.ports[0].published == "8080"
    assert s.volumes[0].read_only and s.volumes[0].bind.create_host_path
    assert s.volumes[1].tmpfs.size == 1048576
    assert s.healthcheck.interval == 90.0 and s.healthcheck.retries == 3
    assert s.scale == 3 and s.deploy.resources.limits.memory == 512 * 1024 ** 2
    assert s.depends_on["db"].condition == "service_healthy"
    assert s.networks["default"] is None and s.networks["front"].aliases == ("w",)
    assert s.ulimits["nproc"].soft == 5 and s.ulimits["nofile"].hard == 2
    assert s.stop_grace_period == 90.0 and s.mem_limit == 1 << 30
    assert s.extensions == {"x-custom": 1}
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.image = "other"


def test_project_binding_and_as_dict_is_a_copy():
    d = {"name": "p", "services": {"a": {"image": "x"}},
         "networks": {"default": {"name": "p_default"}}, "volumes": {"v": {"name": "p_v"}},
         "secrets": {"s": {"name": "p_s", "file": "/f"}}, "x-top": 1}
    p = Project.from_dict(d, working_dir="/w", config_files=["/w/compose.yaml"])
    assert p.service_names == ("a",) and p.networks["default"].name == "p_default"
    assert p.secrets["s"].file == "/f" and p.extensions == {"x-top": 1}
    p.as_dict()["services"]["a"]["image"] = "changed"
    assert p.config_dict["services"]["a"]["image"] == "x"
