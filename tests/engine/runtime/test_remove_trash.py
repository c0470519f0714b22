"""Container removal renames its directories away at once and deletes them in the background
(engine/trash.py): gone for readers immediately, gone from disk shortly after."""
from __future__ import annotations

import time

import pytest

from engine.trash import discard
from engine.types import ContainerSpec


def _wait_empty(folder, timeout=10.0) -> list:
    deadline = time.monotonic() + timeout
    while True:
        left = [p.name for p in folder.iterdir() if p.name.startswith("rm-")] if folder.exists() else []
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


@pytest.mark.root
def test_removed_container_leaves_nothing_on_disk(engine, busybox_image):
    info = engine.containers.create(ContainerSpec(image="busybox", command=("true",)))
    cdir = engine.layout.container_dir(info.id)
    active = engine.images.snapshots.active_dir(info.id)
    (active / "fs" / "written-by-the-container").write_text("x")
    assert cdir.exists() and active.exists()
    engine.containers.remove(info.id)
    assert not cdir.exists() and not active.exists()
    assert info.id not in engine.containers.store.ids()
    assert _wait_empty(engine.layout.snapshots / "tmp") == []


def test_discard_deletes_in_the_background(tmp_path):
    doomed = [tmp_path / "a", tmp_path / "b"]
    for d in doomed:
        (d / "deep" / "er").mkdir(parents=True)
        (d / "deep" / "er" / "file").write_text("x")
    keep = tmp_path / "keep"
    keep.mkdir()
    discard([str(d) for d in doomed] + [""])
    deadline = time.monotonic() + 10
    while any(d.exists() for d in doomed) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(d.exists() for d in doomed) and keep.exists()


def test_discard_from_parallel_threads(tmp_path):
    """compose removes containers from several threads at once."""
    import threading
    doomed = []
    for i in range(16):
        (tmp_path / f"d{i}" / "x").mkdir(parents=True)
        doomed.append(tmp_path / f"d{i}")
    threads = [threading.Thread(target=discard, args=([str(d)],)) for d in doomed]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    deadline = time.monotonic() + 10
    while any(d.exists() for d in doomed) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(d.exists() for d in doomed)


@pytest.mark.root
def test_removal_drops_both_lock_files(engine, busybox_image):
    info = engine.containers.create(ContainerSpec(image="busybox", command=("true",)))
    op_lock = engine.containers.store.op_lock(info.id)
    state_lock = engine.layout.lock_file(f"container-{info.id}")
    op_lock.unlink(missing_ok=True)                  # one of them already gone
    assert state_lock.exists()
    engine.containers.remove(info.id)
    assert not op_lock.exists() and not state_lock.exists()
