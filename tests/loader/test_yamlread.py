"""YAML reading: yaml.v3 scalar rules, line numbers, duplicate keys, tags, anchors and merge keys."""
import pytest

from compose.errors import ConfigError
from compose.loader.yamlread import Override, Reset, read_yaml, strip_tags


def test_scalars_resolve_like_yaml_v3():
    doc = read_yaml("a: [1, yes, on, 0644, 1.5, ~, '2', 0x1f, true, 8080:80, \"\"]\n", "f.yaml")
    assert doc.data["a"] == [1, "yes", "on", 420, 1.5, None, "2", 31, True, "8080:80", ""]


def test_every_key_path_has_a_line():
    doc = read_yaml("services:\n  web:\n    image: x\n    ports:\n      - 80\n", "f.yaml")
    assert doc.lines["services.web.image"] == 3
    assert doc.lines["services.web.ports[0]"] == 5
    assert doc.line("services.web.ports[0].target") == 5


def test_duplicate_key_is_rejected_with_both_lines():
    with pytest.raises(ConfigError) as err:
        read_yaml("services:\n  web:\n    image: a\n    image: b\n", "c.yaml")
    issue = err.value.issues[0]
    assert (issue.file, issue.line, issue.path) == ("c.yaml", 4, "services.web.image")
    assert "already defined at line 3" in issue.message


def test_tab_indentation_is_a_clear_error():
    with pytest.raises(ConfigError) as err:
        read_yaml("services:\n\tweb:\n", "c.yaml")
    assert err.value.issues[0].line == 2
    assert "tabs" in str(err.value)


def test_bad_indentation_names_the_line():
    with pytest.raises(ConfigError) as err:
        read_yaml("services:\n  web:\n    image: a\n   ports: []\n", "c.yaml")
    assert err.value.issues[0].line is not None and "c.yaml" in str(err.value)


def test_top_level_must_be_a_mapping():
    with pytest.raises(ConfigError, match="Top-level object must be a mapping"):
        read_yaml("- a\n- b\n", "c.yaml")


def test_empty_document_is_empty_dict():
    assert read_yaml("", "c.yaml").data == {}


def test_anchors_aliases_and_merge_keys():
    text = ("x-base: &base\n  image: a\n  environment: {A: 1}\n"
            "services:\n  web:\n    <<: *base\n    image: b\n  db: *base\n")
    data = read_yaml(text, "f").data
    assert data["services"]["web"] == {"image": "b", "environment": {"A": 1}}
    assert data["services"]["db"] == {"image": "a", "environment": {"A": 1}}
    data["services"]["db"]["environment"]["A"] = 2          # aliases are copies
    assert data["services"]["web"]["environment"]["A"] == 1


def test_reset_and_override_tags():
    data = read_yaml("ports: !reset []\nenv: !override {A: 1}\nx: !reset null\n", "f").data
    assert isinstance(data["ports"], Reset) and not isinstance(data["ports"], Override)
    assert isinstance(data["env"], Override) and data["env"].value == {"A": 1}
    assert strip_tags(data) == {"env": {"A": 1}}


def test_non_string_keys_are_rejected():
    assert read_yaml("'1': a\n", "f").data == {"1": "a"}
    with pytest.raises(ConfigError, match="non-string key in services: 1"):
        read_yaml("services:\n  1: {}\n", "f")


def test_underscores_only_digits_are_numbers_like_yaml_v3():
    """yaml.v3 drops "_" before parsing numbers: "0_" is 0, "0o_7" is 7 (no ValueError)."""
    doc = read_yaml("a: 0_\nb: 0o_7\nc: 1__0\nd: '0_'\n", "c.yaml")
    assert doc.data == {"a": 0, "b": 7, "c": 10, "d": "0_"}


def test_merge_key_and_tags_with_the_lean_composer():
    """Plain ``<<`` merges, a quoted "<<" is an ordinary key, !reset/!override are seen."""
    doc = read_yaml("x: &x {a: 1}\ny:\n  <<: *x\n  b: 2\nz: {'<<': 3}\nw: !reset null\n", "c.yaml")
    assert doc.data["y"] == {"a": 1, "b": 2}
    assert doc.data["z"] == {"<<": 3}
    assert doc.tagged and isinstance(doc.data["w"], Reset)
