"""Layer unpacking: file types and metadata, whiteouts, compression, and malicious layers
that must never write outside the snapshot."""
import gzip
import io
import os
import stat
import tarfile
import uuid

import pytest
import zstandard

from engine.errors import ImageError
from engine.unpack.apply import apply_layer

T = 1_600_000_000


def entry(name, kind="file", data=b"", linkname="", mode=0o644, uid=0, gid=0, mtime=T, pax=None, dev=(0, 0)):
    return dict(name=name, kind=kind, data=data, linkname=linkname, mode=mode, uid=uid, gid=gid,
                mtime=mtime, pax=pax or {}, dev=dev)


def make_tar(entries) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for e in entries:
            info = tarfile.TarInfo(e["name"])
            info.mode, info.uid, info.gid, info.mtime = e["mode"], e["uid"], e["gid"], e["mtime"]
            info.pax_headers = e["pax"]
            kind = e["kind"]
            if kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, e["linkname"]
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, e["linkname"]
            elif kind == "char":
                info.type, (info.devmajor, info.devminor) = tarfile.CHRTYPE, e["dev"]
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            else:
                info.size = len(e["data"])
            tf.addfile(info, io.BytesIO(e["data"]) if kind == "file" else None)
    return buf.getvalue()


def apply(tar_bytes, dest, mode="overlay"):
    dest.mkdir(exist_ok=True)
    return apply_layer(io.BytesIO(tar_bytes), dest, mode)


@pytest.fixture
def outside(tmp_path):
    d = tmp_path / "outside"
    d.mkdir()
    (d / "victim").write_text("original")
    return d


# ---------------------------------------------------------------------------- malicious layers

def test_dotdot_escape_refused(tmp_path, outside):
    with pytest.raises(ImageError, match="leaves the layer's root"):
        apply(make_tar([entry("../outside/victim", data=b"pwned")]), tmp_path / "root")
    assert (outside / "victim").read_text() == "original"


def test_absolute_paths_stay_inside(tmp_path):
    marker = f"/tmp/pycompose-abs-{uuid.uuid4().hex}"
    apply(make_tar([entry(marker, data=b"inside")]), tmp_path / "root")
    assert not os.path.exists(marker)
    assert (tmp_path / "root" / marker.lstrip("/")).read_bytes() == b"inside"


def test_symlink_escape_refused(tmp_path, outside):
    for link_target in (str(outside), "../outside", "../../../../../../" + str(outside)):
        root = tmp_path / f"root{uuid.uuid4().hex[:6]}"
        tar = make_tar([entry("evil", "symlink", linkname=link_target),
                        entry("evil/victim", data=b"pwned")])
        with pytest.raises(ImageError, match="is a symlink"):
            apply(tar, root)
        assert (outside / "victim").read_text() == "original"


def test_symlink_replaced_not_followed(tmp_path, outside):
    root = tmp_path / "root"
    apply(make_tar([entry("f", "symlink", linkname=str(outside / "victim")),
                    entry("f", data=b"new content")]), root)
    assert (outside / "victim").read_text() == "original"
    assert not (root / "f").is_symlink() and (root / "f").read_bytes() == b"new content"


def test_hardlink_escapes_refused(tmp_path, outside):
    cases = [[entry("h", "hardlink", linkname="../outside/victim")],
             [entry("h", "hardlink", linkname=str(outside / "victim"))],
             [entry("s", "symlink", linkname=str(outside)), entry("h", "hardlink", linkname="s/victim")]]
    for entries in cases:
        root = tmp_path / f"root{uuid.uuid4().hex[:6]}"
        with pytest.raises(ImageError):
            apply(make_tar(entries), root)
        assert os.stat(outside / "victim").st_nlink == 1
        assert not (root / "h").exists()


def test_whiteout_names_cannot_escape(tmp_path, outside):
    with pytest.raises(ImageError):
        apply(make_tar([entry("../outside/.wh.victim")]), tmp_path / "root", mode="delete")
    assert (outside / "victim").exists()


def test_overlay_xattrs_from_tar_dropped(tmp_path):
    root = tmp_path / "root"
    apply(make_tar([entry("d", "dir", mode=0o755, pax={"SCHILY.xattr.trusted.overlay.redirect": "/etc"})]), root)
    assert "trusted.overlay.redirect" not in os.listxattr(root / "d")


# ---------------------------------------------------------------------------- fidelity

@pytest.mark.root
def test_types_and_metadata(tmp_path):
    root = tmp_path / "root"
    apply(make_tar([
        entry("dir", "dir", mode=0o750, uid=1000, gid=1000, mtime=T + 5),
        entry("dir/suid", data=b"#!/bin/sh\n", mode=0o4755, uid=1000, gid=10, mtime=T + 1),
        entry("dir/hard", "hardlink", linkname="dir/suid"),
        entry("dir/sym", "symlink", linkname="suid", uid=1000, gid=1000),
        entry("dev-null", "char", mode=0o666, dev=(1, 3)),
        entry("pipe", "fifo", mode=0o600),
        entry("x", data=b"x", pax={"SCHILY.xattr.user.color": "blue"}),
    ]), root)
    st = os.lstat(root / "dir/suid")
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, int(st.st_mtime)) == (0o4755, 1000, 10, T + 1)
    assert os.lstat(root / "dir/hard").st_ino == st.st_ino and st.st_nlink == 2
    assert os.readlink(root / "dir/sym") == "suid" and os.lstat(root / "dir/sym").st_uid == 1000
    dst = os.lstat(root / "dir")
    assert (stat.S_IMODE(dst.st_mode), dst.st_uid, int(dst.st_mtime)) == (0o750, 1000, T + 5)
    dev = os.lstat(root / "dev-null")
    assert stat.S_ISCHR(dev.st_mode) and (os.major(dev.st_rdev), os.minor(dev.st_rdev)) == (1, 3)
    assert stat.S_ISFIFO(os.lstat(root / "pipe").st_mode)
    try:
        assert os.getxattr(root / "x", "user.color") == b"blue"
    except OSError:
        pytest.fail("user xattrs are supported on the test filesystem but were not applied")


@pytest.mark.root
def test_whiteouts_overlay_mode(tmp_path):
    root = tmp_path / "root"
    apply(make_tar([entry("etc", "dir", mode=0o755), entry("etc/.wh.passwd"),
                    entry("opq", "dir", mode=0o755), entry("opq/.wh..wh..opq"), entry("opq/keep", data=b"k")]), root)
    wh = os.lstat(root / "etc/passwd")
    assert stat.S_ISCHR(wh.st_mode) and wh.st_rdev == 0
    assert os.getxattr(root / "opq", "trusted.overlay.opaque") == b"y"
    assert not (root / "etc/.wh.passwd").exists()


def test_whiteouts_delete_mode(tmp_path):
    root = tmp_path / "root"
    apply(make_tar([entry("a/old", data=b"1"), entry("a/gone", data=b"2"), entry("b/x", data=b"3")]), root, "delete")
    apply(make_tar([entry("a", "dir", mode=0o755), entry("a/new", data=b"n"), entry("a/.wh..wh..opq"),
                    entry("b/.wh.x")]), root, "delete")
    assert sorted(os.listdir(root / "a")) == ["new"]
    assert os.listdir(root / "b") == []


def test_compression_formats_same_diff_id(tmp_path):
    tar = make_tar([entry("f", data=os.urandom(100_000)), entry("g", data=b"g" * 300_000)])
    plain = apply(tar, tmp_path / "p")
    assert apply(gzip.compress(tar), tmp_path / "g") == plain
    assert apply(zstandard.ZstdCompressor().compress(tar), tmp_path / "z") == plain
    assert (tmp_path / "z/f").read_bytes() == (tmp_path / "p/f").read_bytes()


@pytest.mark.parametrize("blob", [
    gzip.compress(b"x" * 10000)[:-20],                               # truncated gzip
    b"\x28\xb5\x2f\xfd" + b"\x00" * 64,                              # broken zstd
    b"not a tar" * 200,                                              # junk
])
def test_corrupt_layers_rejected(tmp_path, blob):
    with pytest.raises(ImageError, match="not a valid layer archive"):
        apply(blob, tmp_path / "root")


def test_diff_id_mismatch_leaves_no_snapshot(engine, tmp_path):
    tar = make_tar([entry("f", data=b"data")])
    with pytest.raises(ImageError, match="does not match its diff id"):
        engine.images.snapshots.commit_layer("sha256:" + "1" * 64, None, "sha256:" + "2" * 64, io.BytesIO(tar))
    assert engine.images.snapshots.committed() == []
    assert list((engine.layout.snapshots / "tmp").iterdir()) == []
