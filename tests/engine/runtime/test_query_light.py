"""engine.runtime.query (light, read-only container views) against ContainerService on real
containers, and engine.layout.loads (the JSON reader of the light queries) against json.loads."""
from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import layout as jsonread      # loads() as the light queries use it

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES, st.sampled_from([None, 1]), st.sampled_from(["", " ", "\n", " \r\n\t"]))
def test_jsonread_parses_like_json(value, indent, ws):
    text = ws + json.dumps(value, indent=indent, sort_keys=True) + ws
    assert jsonread.loads(text) == json.loads(text)
    assert jsonread.loads(text.encode()) == json.loads(text.encode())


@pytest.mark.parametrize("bad", ["", " ", "{", "[1,]", "{} {}", "{}x", "'a'", "{\"a\" 1}",
                                 "[1] [", "\ufeff{}", "nul", "\"\x01\""])
def test_jsonread_rejects_what_json_rejects(bad):
    with pytest.raises(ValueError):
        json.loads(bad)
    with pytest.raises(ValueError):
        jsonread.loads(bad)


def test_jsonread_read_missing_file(tmp_path):
    assert jsonread.read_json(str(tmp_path / "nope.json"), {"d": 1}) == {"d": 1}
    (tmp_path / "x.json").write_text('{"a": [1, 2.5, "é"]}')
    assert jsonread.read_json(str(tmp_path / "x.json")) == {"a": [1, 2.5, "é"]}


def _fields(c) -> tuple:
    s = c.state
    return (c.id, c.name, c.image, c.image_id, c.created, c.labels, c.networks,
            s.status, s.running, s.paused, s.restarting, s.pid, s.exit_code)


@pytest.mark.root
def test_views_match_the_container_service(engine, busybox_image):
    from engine.runtime.query import first_use_after_boot, labelled_containers
    from engine.types import ContainerSpec
    label = f"h2.test={uuid.uuid4().hex[:8]}"
    key, _, value = label.partition("=")
    made = []
    try:
        for i, cmd in enumerate((["sleep", "300"], ["sleep", "300"], ["true"], ["sleep", "300"])):
            info = engine.containers.create(ContainerSpec(
                image="busybox:latest", name=f"h2q{uuid.uuid4().hex[:6]}-{i}", command=tuple(cmd),
                labels={key: value, "n": str(i)} if i < 3 else {"other": "1"}))
            made.append(info.id)
        unlabelled_created = engine.containers.create(ContainerSpec(
            image="busybox:latest", name=f"h2q{uuid.uuid4().hex[:6]}", labels={key: value}))
        made.append(unlabelled_created.id)
        for cid in made[:3]:
            engine.containers.start(cid)
        engine.containers.wait(made[2])
        engine.containers.pause(made[1])
        root = str(engine.layout.root)
        views = labelled_containers(root, label)
        infos = engine.containers.list(all=True, filters={"label": [label]})
        assert [_fields(v) for v in views] == [_fields(i) for i in infos]
        assert {v.state.status for v in views} == {"running", "paused", "exited", "created"}
        assert labelled_containers(root, key) is not None
        assert [v.id for v in labelled_containers(root, "n=1")] == [made[1]]
        assert labelled_containers(str(engine.layout.root) + "-none", label) == []
        assert not first_use_after_boot(str(engine.layout.runroot))
        # a record that says running while PID 1 and shim are gone: the store would reconcile
        # (write) it, so the light query is not sure
        engine.containers.unpause(made[1])
        sf = engine.containers.store.state_file(made[2])
        sf.update(status="running", pid=2 ** 22 - 7, pid_start=1, shim_pid=0, shim_start=0)
        assert labelled_containers(root, label) is None
        engine.containers.inspect(made[2])                 # the store reconciles it
        assert labelled_containers(root, label) is not None
        # a torn config: not sure either
        path = engine.layout.container_dir(made[0]) / "config.json"
        good = path.read_bytes()
        path.write_bytes(good[: len(good) // 2])
        try:
            assert labelled_containers(root, label) is None
        finally:
            path.write_bytes(good)
    finally:
        for cid in made:
            engine.containers.remove(cid, force=True)


def test_container_paths_follow_the_layout(tmp_path):
    from engine.layout import Layout
    from engine.runtime.query import containers_dir
    from engine.images.query import blob_path, index_path
    from engine.volumes.query import volume_dir
    from engine.network.query import networks_dir
    lay = Layout(tmp_path / "r", tmp_path / "rr")
    root = str(lay.root)
    digest = "sha256:" + "ab" * 32
    assert containers_dir(root) == str(lay.containers)
    assert index_path(root) == str(lay.images / "index.json")
    assert blob_path(root, digest) == str(lay.blob(digest))
    assert blob_path(root, "sha256:xyz") is None
    assert volume_dir(root, "v") == str(lay.volume_dir("v"))
    assert networks_dir(root) == str(lay.networks)
