"""Merge rules for several -f files (BEHAVIOUR.md §5.5)."""
from compose.loader.canonical import canonical_file
from compose.loader.merge import merge, strip_resets
from compose.loader.yamlread import read_yaml


def merged(*texts):
    out = {}
    for t in texts:
        out = merge(out, canonical_file(read_yaml(t, "f").data))
    return strip_resets(out)["services"]["s"]


def test_scalars_last_wins_maps_merge():
    s = merged("services: {s: {image: a, environment: [A=1, B=2]}}",
               "services: {s: {image: b, environment: {B: 3, C: 4}}}")
    assert s["image"] == "b" and s["environment"] == {"A": "1", "B": "3", "C": "4"}


def test_command_replaced_not_appended():
    s = merged("services: {s: {command: [a, b], healthcheck: {test: [CMD, x], retries: 1}}}",
               "services: {s: {command: [c], healthcheck: {test: [CMD, y]}}}")
    assert s["command"] == ["c"] and s["healthcheck"] == {"test": ["CMD", "y"], "retries": 1}


def test_ports_and_volumes_unique_by_key():
    s = merged("services: {s: {ports: ['8080:80', '9090:90'], volumes: ['./a:/data', 'vol:/v']}}",
               "services: {s: {ports: ['8080:80'], volumes: ['./b:/data']}}")
    assert [p["published"] for p in s["ports"]] == ["8080", "9090"]
    assert [v["source"] for v in s["volumes"]] == ["./b", "vol"]


def test_value_lists_deduplicated_and_others_appended():
    s = merged("services: {s: {cap_add: [A, B], dns: 1.1.1.1, security_opt: [x]}}",
               "services: {s: {cap_add: [B, C], dns: [1.1.1.1, 8.8.8.8], security_opt: [x]}}")
    assert s["cap_add"] == ["A", "B", "C"] and s["dns"] == ["1.1.1.1", "8.8.8.8"]


def test_depends_on_list_becomes_mapping():
    s = merged("services: {s: {depends_on: [db]}}",
               "services: {s: {depends_on: {cache: {condition: service_healthy}}}}")
    assert s["depends_on"] == {"db": {"condition": "service_started", "required": True},
                               "cache": {"condition": "service_healthy", "required": True}}


def test_reset_and_override():
    s = merged("services: {s: {ports: ['80:80'], environment: {A: 1, B: 2}, labels: {x: y}}}",
               "services: {s: {ports: !reset [], environment: {B: !reset null}, labels: !override {z: w}}}")
    assert "ports" not in s or s["ports"] == []
    assert s["environment"] == {"A": "1"} and s["labels"] == {"z": "w"}


def test_logging_options_merge_only_for_same_driver():
    same = merged("services: {s: {logging: {driver: json-file, options: {a: 1}}}}",
                  "services: {s: {logging: {options: {b: 2}}}}")
    assert same["logging"] == {"driver": "json-file", "options": {"a": 1, "b": 2}}
    other = merged("services: {s: {logging: {driver: json-file, options: {a: 1}}}}",
                   "services: {s: {logging: {driver: syslog, options: {b: 2}}}}")
    assert other["logging"] == {"driver": "syslog", "options": {"b": 2}}
