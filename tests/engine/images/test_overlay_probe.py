"""The overlayfs probe verdict is cached per boot in the runroot (engine/snapshots/mounts.py)."""
from __future__ import annotations

import pytest

from engine.snapshots import mounts


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.delenv("PYCOMPOSE_SNAPSHOTTER", raising=False)
    monkeypatch.setattr(mounts, "_OVERLAY_OK", {})
    return mounts


def _boot_id() -> str:
    with open("/proc/sys/kernel/random/boot_id") as f:
        return f.read().strip()


@pytest.mark.root
def test_probe_writes_verdict_keyed_by_boot_and_filesystem(fresh, tmp_path):
    base, cache = tmp_path / "store", tmp_path / "run" / "overlay-probe"
    base.mkdir()
    assert fresh.overlay_supported(str(base), str(cache)) is True
    key, _, verdict = cache.read_text().rpartition("\n")
    assert verdict == "yes"
    assert key.startswith(_boot_id() + " ") and key.endswith(" " + str(base))
    assert not any(p.name.startswith(".probe-") for p in base.iterdir())


@pytest.mark.root
def test_cached_verdict_is_used_without_probing(fresh, tmp_path):
    base, cache = tmp_path / "store", tmp_path / "overlay-probe"
    base.mkdir()
    cache.write_text(fresh._probe_key(str(base)) + "\nno")   # a verdict a probe would not give
    assert fresh.overlay_supported(str(base), str(cache)) is False


@pytest.mark.root
@pytest.mark.parametrize("stale", ["old-boot-id 1 2 {base}\nno", "garbage", ""])
def test_stale_or_torn_cache_reprobes(fresh, tmp_path, stale):
    base, cache = tmp_path / "store", tmp_path / "overlay-probe"
    base.mkdir()
    cache.write_text(stale.format(base=base))
    assert fresh.overlay_supported(str(base), str(cache)) is True
    assert cache.read_text().endswith("\nyes")


@pytest.mark.root
def test_other_filesystem_is_probed_separately(fresh, tmp_path):
    base, cache = tmp_path / "store", tmp_path / "overlay-probe"
    base.mkdir()
    other_key = fresh._probe_key(str(base)).replace(str(base), str(tmp_path / "elsewhere"))
    cache.write_text(other_key + "\nno")
    assert fresh.overlay_supported(str(base), str(cache)) is True


def test_native_snapshotter_skips_probe_and_cache(fresh, tmp_path, monkeypatch):
    monkeypatch.setenv("PYCOMPOSE_SNAPSHOTTER", "native")
    cache = tmp_path / "overlay-probe"
    assert fresh.overlay_supported(str(tmp_path), str(cache)) is False
    assert not cache.exists()
