"""VolumeService on a private engine root: CRUD, bad input, prepare_mounts / release."""
from __future__ import annotations

import os
import secrets

import pytest

from engine.errors import Conflict, InvalidArgument, NotFound
from engine.types import Mount, VolumeSpec
from engine.volumes.mounting import is_mounted

pytestmark = pytest.mark.root


def _container(engine) -> str:
    """A container id whose directory exists (what makes a volume user 'live')."""
    cid = secrets.token_hex(32)
    engine.layout.container_dir(cid).mkdir(parents=True)
    return cid


def test_create_inspect_list_remove(engine):
    info = engine.volumes.create(VolumeSpec(name="data1", labels={"com.docker.compose.project": "p"}))
    assert info.mountpoint.endswith("/volumes/data1/_data") and os.path.isdir(info.mountpoint)
    assert engine.volumes.create(VolumeSpec(name="data1")).name == "data1"      # idempotent
    with pytest.raises(Conflict, match="different driver options"):
        engine.volumes.create(VolumeSpec(name="data1", driver_opts={"type": "tmpfs"}))
    anon = engine.volumes.create(VolumeSpec())
    assert len(anon.name) == 64 and anon.anonymous and "com.docker.volume.anonymous" in anon.labels
    assert [v.name for v in engine.volumes.list({"label": ["com.docker.compose.project=p"]})] == ["data1"]
    assert {v.name for v in engine.volumes.list()} == {"data1", anon.name}
    d = engine.volumes.inspect_dict("data1")
    assert d["Driver"] == "local" and d["Scope"] == "local" and d["Name"] == "data1"
    engine.volumes.remove("data1")
    with pytest.raises(NotFound, match="no such volume"):
        engine.volumes.inspect("data1")
    engine.volumes.remove("data1", force=True)
    assert engine.volumes.prune() == [anon.name]


@pytest.mark.parametrize("name,opts,msg", [
    ("a!", {}, "invalid characters"),
    ("x", {}, "invalid characters"),
    ("ok1", {"size": "1"}, "invalid option key"),
    ("ok2", {"type": "none", "o": "bind"}, "device"),
])
def test_bad_input(engine, name, opts, msg):
    with pytest.raises(InvalidArgument, match=msg):
        engine.volumes.create(VolumeSpec(name=name, driver_opts=opts))
    assert os.listdir(engine.layout.volumes) == []


def test_prepare_mounts_copy_up_in_use_and_release(engine, tmp_path):
    rootfs = tmp_path / "rootfs"
    (rootfs / "var/lib/app").mkdir(parents=True)
    (rootfs / "var/lib/app/seed.txt").write_text("seed")
    os.chown(rootfs / "var/lib/app/seed.txt", 1000, 1000)
    os.chmod(rootfs / "var/lib/app", 0o750)
    os.symlink("/var/lib/app", rootfs / "link")
    cid = _container(engine)
    host_dir = tmp_path / "host"
    mounts = (Mount("volume", "/link", "named1"), Mount("volume", "/var/lib/app"),
              Mount("volume", "/nocopy", "named2", nocopy=True),
              Mount("bind", "/src", str(host_dir), create_host_path=True),
              Mount("tmpfs", "/tmp"))
    out = engine.volumes.prepare_mounts(cid, mounts, str(rootfs))
    assert [t for _, t, _ in out] == ["/link", "/var/lib/app", "/nocopy", "/src", "/tmp"]
    assert out[4][0] is None                            # tmpfs: the runtime mounts it
    named, anon = out[0][0], out[1][0]
    assert open(os.path.join(named, "seed.txt")).read() == "seed"     # through the symlink
    st = os.stat(os.path.join(anon, "seed.txt"))
    assert (st.st_uid, st.st_gid) == (1000, 1000) and os.stat(anon).st_mode & 0o777 == 0o750
    anon_name = out[1][2].source
    assert len(anon_name) == 64 and engine.volumes.inspect(anon_name).anonymous
    again = engine.volumes.prepare_mounts(cid, mounts, str(rootfs))     # the next start
    assert again[1][2].source == anon_name and len(engine.volumes.list()) == 3
    assert os.path.isdir(host_dir) and out[3][0] == str(host_dir)
    with pytest.raises(Conflict, match="volume is in use"):
        engine.volumes.remove("named1")
    # data written survives the container; a second container sees it (no copy over it)
    with open(os.path.join(named, "new.txt"), "w") as f:
        f.write("kept")
    assert set(engine.volumes.release(cid, remove_anonymous=True)) == {anon_name}
    cid2 = _container(engine)
    out2 = engine.volumes.prepare_mounts(cid2, (Mount("volume", "/link", "named1"),), str(rootfs))
    assert open(os.path.join(out2[0][0], "new.txt")).read() == "kept"
    assert engine.volumes.list({"dangling": ["true"]})[0].name == "named2"
    engine.volumes.release(cid2)
    assert sorted(engine.volumes.prune(all=True)) == ["named1", "named2"]


def test_bind_missing_source_and_rollback(engine, tmp_path):
    cid = _container(engine)
    missing = str(tmp_path / "nope")
    with pytest.raises(InvalidArgument, match=f"bind source path does not exist: {missing}"):
        engine.volumes.prepare_mounts(cid, (Mount("volume", "/a", "made-here"),
                                            Mount("bind", "/b", missing)), "")
    assert engine.volumes.list() == []                  # the volume made before the error is gone
    assert not os.path.exists(missing)
    with pytest.raises(InvalidArgument, match="Duplicate mount point: /a/"):
        engine.volumes.prepare_mounts(cid, (Mount("volume", "/a", "v1"), Mount("tmpfs", "/a/")), "")
    assert engine.volumes.list() == []


def test_tmpfs_and_bind_driver_options(engine, tmp_path):
    device = tmp_path / "dev"
    device.mkdir()
    (device / "f").write_text("x")
    engine.volumes.create(VolumeSpec(name="bindvol", driver_opts={"type": "none", "o": "bind",
                                                                 "device": str(device)}))
    engine.volumes.create(VolumeSpec(name="ramvol", driver_opts={"type": "tmpfs", "device": "tmpfs",
                                                                "o": "size=1m"}))
    cid = _container(engine)
    try:
        out = engine.volumes.prepare_mounts(cid, (Mount("volume", "/a", "bindvol"),
                                                  Mount("volume", "/b", "ramvol")), "")
        assert open(os.path.join(out[0][0], "f")).read() == "x"
        assert is_mounted(out[1][0])
    finally:
        engine.volumes.release(cid)
    assert not is_mounted(out[0][0]) and not is_mounted(out[1][0])
    engine.volumes.remove("bindvol")
    engine.volumes.remove("ramvol")
    assert (device / "f").exists()                      # removing the volume keeps the device
