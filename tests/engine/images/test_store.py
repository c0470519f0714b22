"""Image store: import, inspect, list, tag, remove, rootfs preparation (real overlay mounts)."""
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from engine.errors import Conflict, ImageError, NotFound
from engine.snapshots.mounts import mount_rootfs, umount
from tests.fixtures.images import sha256_file, small_layer


def _mounted(engine, rootfs, key):
    target = engine.layout.rootfs_mount(key)
    target.mkdir(parents=True, exist_ok=True)
    mount_rootfs(rootfs, str(target))
    return target


def test_import_inspect_list(engine, busybox_image, busybox_layer):
    info = engine.images.inspect("busybox")
    assert info == busybox_image
    assert info.repo_tags == ("docker.io/library/busybox:latest",)
    assert info.layers == (sha256_file(busybox_layer),)
    assert info.config.cmd == ("sh",)
    assert info.id.startswith("sha256:") and engine.images.inspect(info.id[7:19]) == info
    assert [i.id for i in engine.images.list()] == [info.id]
    blob = engine.layout.blob(info.id)
    assert json.loads(blob.read_text())["rootfs"]["diff_ids"] == list(info.layers)


def test_not_found_messages(engine):
    with pytest.raises(NotFound, match="^No such image: busybox:latest$"):
        engine.images.inspect("busybox")
    with pytest.raises(ImageError, match="must be lowercase"):
        engine.images.inspect("BusyBox")
    assert not engine.images.exists("busybox")


def test_tag_and_remove(engine, busybox_image):
    engine.images.tag("busybox", "localhost:5000/bb:v1")
    assert set(engine.images.inspect("busybox").repo_tags) == {
        "docker.io/library/busybox:latest", "localhost:5000/bb:v1"}
    with pytest.raises(ImageError, match="digest"):
        engine.images.tag("busybox", "x@sha256:" + "a" * 64)
    with pytest.raises(Conflict, match="referenced in multiple repositories"):
        engine.images.remove(busybox_image.id)
    assert engine.images.remove("localhost:5000/bb:v1") == [{"Untagged": "localhost:5000/bb:v1"}]
    report = engine.images.remove("busybox")
    assert report == [{"Untagged": "busybox:latest"}, {"Deleted": busybox_image.id}]
    assert engine.images.list() == []
    assert list(engine.images.content.list()) == []
    assert engine.images.snapshots.committed() == []


@pytest.mark.root
def test_prepare_rootfs_overlay_and_export_diff(engine, busybox_image, tmp_path):
    rootfs = engine.images.prepare_rootfs("busybox", "c1")
    assert rootfs.type == "overlay" and len(rootfs.lowerdirs) == 1
    target = _mounted(engine, rootfs, "c1")
    try:
        with pytest.raises(Conflict, match="still mounted"):
            engine.images.release_rootfs("c1")
        out = subprocess.run(["chroot", str(target), "/bin/sh", "-c", "echo hi > /new; rm /etc/group; cat /etc/passwd"],
                             capture_output=True, text=True, check=True)
        assert out.stdout.startswith("root:x:0:0")
    finally:
        umount(str(target))
    with pytest.raises(Conflict, match="is using its referenced image"):
        engine.images.remove("busybox")
    with pytest.raises(Conflict, match="already exists for another image"):
        engine.images.prepare_rootfs(None, "c1")
    diff_id = engine.images.export_diff("c1", str(tmp_path / "diff.tar"))
    with tarfile.open(tmp_path / "diff.tar") as tf:
        names = tf.getnames()
    assert "new" in names and "etc/.wh.group" in names
    # the diff becomes a layer of a new image (what the builder does)
    got_diff, digest, _size = engine.images.add_layer(tmp_path / "diff.tar")
    assert got_diff == diff_id
    info = engine.images.create_image({"Cmd": ["sh"]}, engine.images.layer_digests("busybox") + [digest],
                                      tags=["derived:1"])
    assert info.layers == busybox_image.layers + (diff_id,)
    engine.images.release_rootfs("c1")
    rootfs2 = engine.images.prepare_rootfs("derived:1", "c2")
    target = _mounted(engine, rootfs2, "c2")
    try:
        assert (target / "new").read_text() == "hi\n"
        assert not (target / "etc/group").exists()
        assert (target / "etc/passwd").exists()
    finally:
        umount(str(target))
        engine.images.release_rootfs("c2")
    assert not (engine.layout.snapshots / "active" / "c2").exists()


@pytest.mark.root
def test_scratch_rootfs(engine):
    rootfs = engine.images.prepare_rootfs(None, "s1")
    assert engine.images.prepare_rootfs("scratch", "s1") == rootfs      # idempotent (restarts)
    target = _mounted(engine, rootfs, "s1")
    try:
        assert os.listdir(target) == []
    finally:
        umount(str(target))
        engine.images.release_rootfs("s1")


@pytest.mark.root
def test_deep_image_mounts(engine, tmp_path):
    """120 layers: the lowerdir list would not fit in one page; it must still mount."""
    digests = []
    for i in range(120):
        layer = small_layer({f"l/{i:03d}": f"{i}\n", "top": f"{i}\n"}, tmp_path / f"{i}.tar")
        digests.append(engine.images.add_layer(layer)[1])
    info = engine.images.create_image({"Cmd": ["sh"]}, digests, tags=["deep"])
    assert len(info.layers) == 120
    rootfs = engine.images.prepare_rootfs("deep", "d1")
    assert len(",".join(rootfs.lowerdirs)) < 4096
    target = _mounted(engine, rootfs, "d1")
    try:
        assert sorted(os.listdir(target / "l")) == [f"{i:03d}" for i in range(120)]
        assert (target / "top").read_text() == "119\n"
    finally:
        umount(str(target))
        engine.images.release_rootfs("d1")


def test_layers_are_shared(engine, busybox_layer, extra_layer):
    d1 = engine.images.add_layer(busybox_layer)[1]
    d2 = engine.images.add_layer(extra_layer)[1]
    a = engine.images.create_image({"Cmd": ["a"]}, [d1], tags=["a"])
    b = engine.images.create_image({"Cmd": ["b"]}, [d1, d2], tags=["b"])
    assert len(engine.images.snapshots.committed()) == 2
    engine.images.remove("b")
    assert engine.images.inspect("a") == a and engine.images.content.has(d1)
    assert not engine.images.content.has(d2)
    assert b.id not in [i.id for i in engine.images.list()]


def test_import_changes_and_gzip(engine, busybox_gz_layer):
    info = engine.images.import_tarball(busybox_gz_layer, "imp:1", changes=[
        "ENV A=1 B=two", 'ENTRYPOINT ["/bin/sh", "-c"]', "CMD echo hi", "EXPOSE 80",
        "WORKDIR /srv", "USER app", "LABEL k=v", "STOPSIGNAL SIGINT", "VOLUME /data"])
    c = info.config
    assert c.env == ("A=1", "B=two") and c.entrypoint == ("/bin/sh", "-c")
    assert c.cmd == ("/bin/sh", "-c", "echo hi") and c.exposed_ports == ("80/tcp",)
    assert (c.working_dir, c.user, c.stop_signal, c.volumes) == ("/srv", "app", "SIGINT", ("/data",))
    assert info.labels == {"k": "v"}
    manifest = json.loads(engine.layout.blob(engine.images.get("imp:1").manifest_digest).read_text())
    assert manifest["layers"][0]["mediaType"].endswith("tar+gzip")
    with pytest.raises(Exception, match="not a valid change command"):
        engine.images.import_tarball(busybox_gz_layer, "imp:2", changes=["RUN true"])
    assert not engine.images.exists("imp:2")


@pytest.mark.root
def test_opaque_dir_exported(engine, busybox_image, tmp_path):
    rootfs = engine.images.prepare_rootfs("busybox", "o1")
    target = _mounted(engine, rootfs, "o1")
    try:
        subprocess.run(["chroot", str(target), "/bin/sh", "-c", "rm -rf /home && mkdir /home && echo x > /home/new"],
                       check=True)
    finally:
        umount(str(target))
    engine.images.export_diff("o1", str(tmp_path / "d.tar"))
    engine.images.release_rootfs("o1")
    with tarfile.open(tmp_path / "d.tar") as tf:
        names = tf.getnames()
    assert "home/.wh..wh..opq" in names and "home/new" in names and "home/app" not in names


def test_copy_fallback_without_overlay(engine, tmp_path, monkeypatch, busybox_layer):
    monkeypatch.setenv("PYCOMPOSE_SNAPSHOTTER", "native")
    base = engine.images.add_layer(busybox_layer)[1]
    top = engine.images.add_layer(small_layer({"etc/.wh.group": b"", "hello": "hi\n"}, tmp_path / "t.tar"))[1]
    engine.images.create_image({"Cmd": ["sh"]}, [base, top], tags=["two"])
    rootfs = engine.images.prepare_rootfs("two", "n1")
    src = Path(rootfs.source)
    assert rootfs.type == "bind"
    assert (src / "hello").read_text() == "hi\n" and (src / "bin/busybox").is_file()
    assert not (src / "etc/group").exists() and (src / "etc/passwd").exists()
    engine.images.release_rootfs("n1")
    assert not src.exists()
