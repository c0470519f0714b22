"""engine.build.diff: an overlay upper dir becomes a deterministic layer tar."""
import os
import tarfile

import pytest

from engine.build.diff import write_layer_tar
from engine.build.mounting import overlay_mounted


def _members(tar_path):
    with tarfile.open(tar_path) as tf:
        return {m.name: m for m in tf.getmembers()}


@pytest.mark.root
def test_upper_dir_to_layer(tmp_path):
    lower, upper, work, merged = (tmp_path / n for n in ("lower", "upper", "work", "merged"))
    for d in (lower, upper, work):
        d.mkdir()
    (lower / "etc").mkdir()
    (lower / "etc/keep").write_text("k")
    (lower / "etc/gone").write_text("g")
    (lower / "data").mkdir()
    (lower / "data/old").write_text("o")
    with overlay_mounted([str(lower)], str(upper), str(work), str(merged)):
        m = merged
        os.unlink(m / "etc/gone")
        (m / "etc/keep").write_text("changed")
        os.system(f"rm -rf {m}/data && mkdir {m}/data")
        (m / "data/new").write_text("n")
        (m / "bin").mkdir()
        (m / "bin/tool").write_text("#!/bin/sh\n")
        os.chmod(m / "bin/tool", 0o751)
        os.chown(m / "bin/tool", 1000, 1000)
        os.link(m / "bin/tool", m / "bin/tool2")
        os.symlink("tool", m / "bin/link")
    out = tmp_path / "layer.tar"
    write_layer_tar(upper, out)
    mem = _members(out)
    assert mem["etc/.wh.gone"].isfile() and mem["etc/.wh.gone"].size == 0
    assert "etc/gone" not in mem
    assert mem["data/.wh..wh..opq"].isfile() and mem["data"].isdir()
    assert mem["data/new"].size == 1
    assert mem["etc/keep"].size == len("changed")
    tool = mem["bin/tool"]
    assert (tool.mode, tool.uid, tool.gid, tool.uname) == (0o751, 1000, 1000, "")
    assert mem["bin/tool2"].islnk() and mem["bin/tool2"].linkname == "bin/tool"
    assert mem["bin/link"].issym() and mem["bin/link"].linkname == "tool"
    names = list(mem)
    assert names == sorted(names, key=lambda n: n.split("/"))
    again = tmp_path / "again.tar"
    write_layer_tar(upper, again)
    assert out.read_bytes() == again.read_bytes()
