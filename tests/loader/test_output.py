"""Rendering like docker compose config: key order, quoting, durations, JSON quirks, $ escaping."""
import json

from compose.loader.normalize import go_duration
from compose.loader.output import to_json, to_yaml


def test_go_durations():
    assert [go_duration(s) for s in (0, 1.5, 90, 3600, 5405, 0.5, 1e-6, 2e-9)] == [
        "0s", "1.5s", "1m30s", "1h0m0s", "1h30m5s", "500ms", "1µs", "2ns"]


def test_yaml_layout_and_quoting():
    doc = {"name": "p", "services": {"web": {
        "image": "nginx", "command": ["echo", "a: b"], "environment": {"B": "1", "A": "true", "C": None},
        "cgroup_parent": "x", "cgroup": "host", "labels": {"k": "multi\nline"}, "x-ext": 1}}}
    assert to_yaml(doc) == (
        "name: p\nservices:\n  web:\n    cgroup_parent: x\n    cgroup: host\n    command:\n"
        "      - echo\n      - 'a: b'\n    environment:\n      A: \"true\"\n      B: \"1\"\n"
        "      C: null\n    image: nginx\n    labels:\n      k: |-\n        multi\n        line\n"
        "    x-ext: 1\n")


def test_json_quirks_and_dollar_escaping():
    doc = {"name": "p", "services": {"a": {"image": "x$y", "x-e": 1, "deploy": {"replicas": 2}}},
           "networks": {"default": {"name": "p_default"}}, "x-top": 1}
    data = json.loads(to_json(doc))
    assert data["services"]["a"] == {"command": None, "entrypoint": None, "image": "x$$y",
                                     "deploy": {"replicas": 2, "resources": {}, "placement": {}}}
    assert data["networks"]["default"]["ipam"] == {} and data["x-top"] == 1


def test_empty_collections_are_omitted():
    doc = {"name": "p", "services": {"a": {"image": "x", "labels": {}, "volumes": [], "command": []}}}
    assert to_yaml(doc) == "name: p\nservices:\n  a:\n    command: []\n    image: x\n"


def test_plain_word_fast_path_renders_like_the_full_analysis():
    """yamlout's shortcut for plain words gives what libyaml's scalar analysis gives."""
    import random
    from compose.loader import yamlout
    rng = random.Random(7)
    words = {"yes", "no", "on", "Off", "y", "null", "1e3", "0x1f", "0o17", "1_000", "0_",
             "2024-01-01", "12:30", "1.5", "-1", "/x", "..", "a..b", ".5", "5.", "08", ".inf",
             "a-b-c", "UTF-8", "x-y"}
    words |= {"".join(rng.choice("ab09_./-yYnN:eE+x") for _ in range(rng.randint(1, 6)))
              for _ in range(3000)}
    for word in sorted(words):
        for is_key in (False, True):
            expected = yamlout._render_string(word, 0, is_key)
            yamlout._SINGLE_LINE.clear()
            assert yamlout._string(word, 0, is_key) == expected, word
