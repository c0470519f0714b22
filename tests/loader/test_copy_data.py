"""copy_data: the loader's deep copy of YAML-shaped data (used by merge and Project.as_dict)."""
from compose.loader.merge import copy_data, merge
from compose.loader.yamlread import Override, Reset, read_yaml


def test_copy_is_equal_and_shares_no_containers():
    data = read_yaml("a: &x {b: [1, {c: d}], e: null}\nf: *x\n", "t.yaml").data
    out = copy_data(data)
    assert out == data
    out["a"]["b"][1]["c"] = "changed"
    assert data["a"]["b"][1]["c"] == "d"
    assert out["f"]["b"][1]["c"] == "d"          # aliases become independent copies


def test_reset_and_override_wrappers_are_copied():
    value = {"x": Override({"k": [1]}), "y": Reset(None)}
    out = copy_data(value)
    assert type(out["x"]) is Override and out["x"].value == {"k": [1]}
    assert out["x"].value is not value["x"].value
    assert type(out["y"]) is Reset


def test_merge_result_does_not_alias_its_inputs():
    base = {"services": {"a": {"environment": {"A": "1"}}}}
    over = {"services": {"b": {"ports": [{"target": 80}]}}}
    out = merge(base, over)
    out["services"]["b"]["ports"][0]["target"] = 81
    assert over["services"]["b"]["ports"][0]["target"] == 80


def test_other_objects_fall_back_to_deepcopy():
    class Thing:
        def __init__(self):
            self.items = [1]
    thing = Thing()
    copied = copy_data({"t": thing})["t"]
    assert copied is not thing and copied.items == [1] and copied.items is not thing.items
