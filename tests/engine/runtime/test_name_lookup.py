"""Container name lookups read <dir>/name (a symlink) instead of every config.json, and
list() filters by label/name/id on the raw config before building details."""
from __future__ import annotations

import os

import pytest

from engine.errors import Conflict, NotFound
from engine.types import ContainerSpec


def _create(engine, name, **fields):
    return engine.containers.create(ContainerSpec(image="busybox", name=name, command=("true",),
                                                  **fields))


def _cleanup(engine, infos):
    for info in infos:
        engine.containers.remove(info.id, force=True)


@pytest.mark.root
def test_name_link_follows_create_and_rename(engine, busybox_image):
    made = [_create(engine, "alpha"), _create(engine, "beta")]
    try:
        link = engine.layout.container_dir(made[0].id) / "name"
        assert os.readlink(link) == "alpha"
        assert engine.containers.inspect("alpha").id == made[0].id
        engine.containers.rename("alpha", "gamma")
        assert os.readlink(link) == "gamma"
        assert engine.containers.inspect("gamma").id == made[0].id
        with pytest.raises(NotFound, match="No such container: alpha"):
            engine.containers.inspect("alpha")
        with pytest.raises(Conflict, match='"/beta" is already in use'):
            _create(engine, "beta")
        made.append(_create(engine, "alpha"))             # the old name is free again
        assert engine.containers.inspect("alpha").id == made[-1].id
    finally:
        _cleanup(engine, made)


@pytest.mark.root
def test_missing_link_falls_back_to_the_config(engine, busybox_image):
    """A container from before the link (or a crash between config and link) is still found."""
    made = [_create(engine, "old-style")]
    try:
        (engine.layout.container_dir(made[0].id) / "name").unlink()
        assert engine.containers.inspect("old-style").id == made[0].id
        with pytest.raises(Conflict, match='"/old-style" is already in use'):
            _create(engine, "old-style")
        engine.containers.rename(made[0].id, "new-style")     # the link comes back
        assert os.readlink(engine.layout.container_dir(made[0].id) / "name") == "new-style"
    finally:
        _cleanup(engine, made)


@pytest.mark.root
def test_list_filters_on_config_then_state(engine, busybox_image):
    made = [_create(engine, "l-one", labels={"team": "a"}), _create(engine, "l-two", labels={"team": "b"}),
            _create(engine, "other", labels={"team": "a", "x": "1"})]
    try:
        def names(**filters):
            return sorted(i.name for i in engine.containers.list(all=True, filters=filters))
        assert names(label=["team=a"]) == ["l-one", "other"]
        assert names(label=["team"]) == ["l-one", "l-two", "other"]
        assert names(label=["team=a", "x"]) == ["other"]
        assert names(name=["l-"]) == ["l-one", "l-two"]
        assert names(id=[made[1].id[:12]]) == ["l-two"]
        assert names(label=["team=a"], status=["created"]) == ["l-one", "other"]
        assert names(label=["team=a"], status=["running"]) == []
        assert engine.containers.list(filters={"label": ["team=a"]}) == []    # none running
    finally:
        _cleanup(engine, made)
