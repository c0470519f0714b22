"""docker load / save: both archive formats, round trips keep digests, bad archives fail clean."""
import gzip
import io
import json
import tarfile

import pytest

from engine.api import Engine
from engine.errors import ImageError


def _snapshot_file(engine, ref, rel):
    img = engine.images.get(ref)
    for chain_id in reversed(img.chain):
        path = engine.images.snapshots.lookup(chain_id) / "fs" / rel
        if path.exists():
            return path.read_bytes()
    return None


def test_load_docker_archive(engine, busybox_docker_archive):
    path, facts = busybox_docker_archive
    assert engine.images.load(str(path)) == ["Loaded image: busybox:latest"]
    info = engine.images.inspect("busybox")
    assert info.id == facts["id"] and list(info.layers) == facts["diff_ids"]
    assert _snapshot_file(engine, "busybox", "hello.txt") == b"hello from layer 2\n"


def test_load_oci_archive_keeps_manifest_digest(engine, busybox_oci_archive):
    path, facts = busybox_oci_archive
    assert engine.images.load(str(path)) == ["Loaded image: busybox:latest"]
    img = engine.images.get("busybox")
    assert img.id == facts["id"] and img.manifest_digest == facts["manifest"]
    assert _snapshot_file(engine, "busybox", "etc/motd") == b"welcome\n"


def test_save_load_round_trip(engine, engine_dirs, tmp_path, busybox_oci_archive):
    engine.images.load(str(busybox_oci_archive[0]))
    engine.images.tag("busybox", "localhost:5000/bb:v2")
    original = engine.images.get("busybox")
    out = tmp_path / "saved.tar"
    engine.images.save(["busybox", "localhost:5000/bb:v2"], str(out))
    with tarfile.open(out) as tf:
        names = set(tf.getnames())
        manifest = json.load(tf.extractfile("manifest.json"))
        index = json.load(tf.extractfile("index.json"))
    assert {"oci-layout", "index.json", "manifest.json", "repositories"} <= names
    assert manifest == [{"Config": f"blobs/sha256/{original.id[7:]}",
                         "RepoTags": ["busybox:latest", "localhost:5000/bb:v2"],
                         "Layers": [f"blobs/sha256/{d.digest[7:]}" for d in original.layers]}]
    assert [m["annotations"]["io.containerd.image.name"] for m in index["manifests"]] == [
        "docker.io/library/busybox:latest", "localhost:5000/bb:v2"]
    other = Engine(tmp_path / "root2", engine_dirs[1] / "r2")
    lines = other.images.load(str(out))
    assert lines == ["Loaded image: busybox:latest", "Loaded image: localhost:5000/bb:v2"]
    again = other.images.get("localhost:5000/bb:v2")
    assert (again.id, again.manifest_digest) == (original.id, original.manifest_digest)
    # a compressed archive from stdin-like stream loads too (docker load accepts gzip)
    third = Engine(tmp_path / "root3", engine_dirs[1] / "r3")
    third.images.load(io.BytesIO(gzip.compress(out.read_bytes())))
    assert third.images.inspect("busybox").id == original.id


def test_save_by_id_has_no_names(engine, busybox_image, tmp_path):
    out = tmp_path / "byid.tar"
    engine.images.save([busybox_image.id[7:19]], str(out))
    with tarfile.open(out) as tf:
        assert json.load(tf.extractfile("manifest.json"))[0]["RepoTags"] is None
    engine.images.remove("busybox")
    assert engine.images.load(str(out)) == [f"Loaded image ID: {busybox_image.id}"]


def test_bad_archives_leave_nothing(engine, tmp_path, busybox_docker_archive, extra_layer):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"this is not a tar archive at all" * 100)
    with pytest.raises(ImageError, match="not a valid image archive"):
        engine.images.load(str(junk))
    # a docker archive whose layer does not match the config's diff id
    src, _facts = busybox_docker_archive
    bad = tmp_path / "bad.tar"
    with tarfile.open(src) as tin, tarfile.open(bad, "w") as tout:
        for m in tin.getmembers():
            data = tin.extractfile(m).read() if m.isfile() else None
            if m.name.endswith("layer.tar") and len(data) < 100_000:
                data = extra_layer.read_bytes()[:-1024] + bytes(1024)
                data = data.replace(b"hello from layer 2", b"HELLO FROM LAYER 2")
                m.size = len(data)
            tout.addfile(m, io.BytesIO(data) if data is not None else None)
    with pytest.raises(ImageError, match="does not match its diff id"):
        engine.images.load(str(bad))
    assert engine.images.list() == []
    assert list((engine.layout.tmp).iterdir()) == []


def test_load_nested_index_picks_host_platform(engine, tmp_path, busybox_oci_archive):
    """containerd-store archives: index.json -> image index -> per-platform manifests, some absent."""
    import hashlib
    src, facts = busybox_oci_archive
    with tarfile.open(src) as tf:
        members = {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}
    outer = json.loads(members["index.json"])
    amd64 = dict(outer["manifests"][0])
    amd64.pop("annotations")
    amd64["platform"] = {"os": "linux", "architecture": "amd64"}
    missing = {"mediaType": amd64["mediaType"], "digest": "sha256:" + "e" * 64, "size": 10,
               "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}}
    inner = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [missing, amd64]}).encode()
    inner_digest = "sha256:" + hashlib.sha256(inner).hexdigest()
    members[f"blobs/sha256/{inner_digest[7:]}"] = inner
    outer["manifests"] = [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": inner_digest,
                           "size": len(inner), "annotations": outer["manifests"][0]["annotations"]}]
    members["index.json"] = json.dumps(outer).encode()
    out = tmp_path / "nested.tar"
    with tarfile.open(out, "w") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    assert engine.images.load(str(out)) == ["Loaded image: busybox:latest"]
    assert engine.images.inspect("busybox").id == facts["id"]
