"""engine.pathsafe.secure_join never leaves its root, whatever the symlinks inside say."""
import errno
import os

import pytest

from engine.pathsafe import secure_join


def test_links_and_dotdot_stay_inside_the_root(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    os.symlink("/etc", root / "abs")                  # absolute: means <root>/etc
    os.symlink("../../../../etc", root / "etc/up")    # climbs past / : clamps at root
    os.symlink("etc", root / "rel")
    assert secure_join(str(root), "/abs/passwd") == str(root / "etc/passwd")
    assert secure_join(str(root), "etc/up/passwd") == str(root / "etc/passwd")
    assert secure_join(str(root), "../../rel/x") == str(root / "etc/x")
    assert secure_join(str(root), "/./a/../b") == str(root / "b")


def test_a_link_loop_is_eloop(tmp_path):
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    with pytest.raises(OSError) as e:
        secure_join(str(tmp_path), "/a/x")
    assert e.value.errno == errno.ELOOP
