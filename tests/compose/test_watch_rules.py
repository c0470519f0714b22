"""Unit tests of watch rules (matching, ignores, include, validation) and the debouncer."""
from __future__ import annotations

import pytest

from compose.errors import ConfigError, UsageError
from compose.watch.debounce import Batcher
from compose.watch.rules import is_ephemeral, load_targets
from tests.fixtures.compose_project import make_project


def _project(tmp_path, develop, build=True, volumes=None, dockerignore=None):
    app = tmp_path / "app"
    app.mkdir(exist_ok=True)
    if dockerignore is not None:
        (tmp_path / ".dockerignore").write_text(dockerignore)
    svc = {"image": "busybox", "develop": {"watch": develop}}
    if build:
        svc["build"] = {"context": str(tmp_path)}
    if volumes:
        svc["volumes"] = volumes
    return make_project("w", {"web": svc, "other": {"image": "busybox"}}, working_dir=str(tmp_path))


@pytest.mark.parametrize("name", ["a.py___jb_old___", "x___jb_tmp___", ".main.py.swp", "4913",
                                  "main.py~", ".#main.py", "#main.py#", "f.kate-swp", "~$doc.docx",
                                  ".git/HEAD", "sub/.git/objects/ab"])
def test_editor_temp_files_and_git_are_ignored(name):
    assert is_ephemeral(name)


@pytest.mark.parametrize("name", ["main.py", "swp", "a/b/c.txt", ".gitignore", "digit4913x"])
def test_ordinary_files_are_not_ephemeral(name):
    assert not is_ephemeral(name)


def test_sync_rule_maps_paths_and_applies_rule_ignore(tmp_path):
    p = _project(tmp_path, [{"path": str(tmp_path / "app"), "action": "sync", "target": "/srv",
                             "ignore": ["node_modules/", "*.log"]}])
    [t] = load_targets(p)
    assert t.matches(str(tmp_path / "app/src/x.py"))
    assert t.container_path(str(tmp_path / "app/src/x.py")) == "/srv/src/x.py"
    assert not t.matches(str(tmp_path / "app/node_modules/pkg/i.js"))
    assert not t.matches(str(tmp_path / "app/debug.log"))
    assert not t.matches(str(tmp_path / "app/.x.py.swp"))
    assert not t.matches(str(tmp_path / "elsewhere.py"))       # outside the rule's path


def test_dockerignore_of_build_context_applies(tmp_path):
    p = _project(tmp_path, [{"path": str(tmp_path / "app"), "action": "rebuild"}],
                 dockerignore="app/tmp\n**/*.md\n!app/KEEP.md\n")
    [t] = load_targets(p)
    assert not t.matches(str(tmp_path / "app/tmp/cache"))
    assert not t.matches(str(tmp_path / "app/README.md"))
    assert t.matches(str(tmp_path / "app/KEEP.md"))            # re-included by "!"
    assert t.matches(str(tmp_path / "app/main.c"))


def test_include_restricts(tmp_path):
    p = _project(tmp_path, [{"path": str(tmp_path / "app"), "action": "sync+restart",
                             "target": "/srv", "include": ["*.conf"]}])
    [t] = load_targets(p)
    assert t.matches(str(tmp_path / "app/nginx.conf"))
    assert not t.matches(str(tmp_path / "app/index.html"))


def test_bind_mounted_path_is_warned_and_not_watched(tmp_path):
    warnings = []
    p = _project(tmp_path, [{"path": str(tmp_path / "app"), "action": "sync", "target": "/srv"},
                            {"path": str(tmp_path / "app"), "action": "rebuild"}],
                 volumes=[{"type": "bind", "source": str(tmp_path), "target": "/data"}])
    targets = load_targets(p, warn=warnings.append)
    assert [t.action for t in targets] == ["rebuild"]
    assert "also declared by a bind mount volume" in warnings[0]


def test_validation(tmp_path):
    with pytest.raises(ConfigError, match="no build section"):
        load_targets(_project(tmp_path, [{"path": "app", "action": "rebuild"}], build=False))
    with pytest.raises(ConfigError, match="target is required"):
        load_targets(_project(tmp_path, [{"path": "app", "action": "sync"}]))
    with pytest.raises(ConfigError, match="invalid action"):
        load_targets(_project(tmp_path, [{"path": "app", "action": "explode", "target": "/x"}]))
    with pytest.raises(UsageError, match="develop"):
        load_targets(_project(tmp_path, [{"path": "app", "action": "rebuild"}]), ["other"])


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_batcher_waits_for_a_quiet_period_and_dedupes():
    clock = FakeClock()
    b = Batcher(0.5, clock)
    assert b.take() == {} and b.remaining() is None
    b.add("/a", "added")
    clock.now += 0.4
    b.add("/b", "modified")
    b.add("/a", "modified")                     # same path: first change kept
    clock.now += 0.4                            # 0.8 s since the first, 0.4 s quiet
    assert b.take() == {} and b.remaining() == pytest.approx(0.1)
    clock.now += 0.1
    assert b.take() == {"/a": "added", "/b": "modified"}
    assert b.take() == {} and b.pending() == 0


def test_batcher_force_flushes():
    clock = FakeClock()
    b = Batcher(0.5, clock)
    b.add("/x")
    assert b.take(force=True) == {"/x": None}


def test_roots_watch_dirs_recursively_and_file_rules_through_their_parent(tmp_path):
    from compose.watch.loop import Watcher
    (tmp_path / "app" / "sub").mkdir(parents=True)
    (tmp_path / "req.txt").write_text("x")
    p = _project(tmp_path, [{"path": str(tmp_path / "app"), "action": "sync", "target": "/a"},
                            {"path": str(tmp_path / "app/sub"), "action": "sync", "target": "/b"},
                            {"path": str(tmp_path / "app/sub/f"), "action": "sync", "target": "/c"},
                            {"path": str(tmp_path / "req.txt"), "action": "rebuild"},
                            {"path": str(tmp_path / "missing"), "action": "rebuild"}])
    logged = []
    w = Watcher(None, p, load_targets(p), log=logged.append)
    assert w.roots() == {True: [str(tmp_path / "app")], False: [str(tmp_path)]}
    assert any("missing does not exist" in line for line in logged)


def test_exec_hook_arguments_and_top_level_paths():
    from compose.watch.actions import _top_level, exec_spec_args
    argv, kw = exec_spec_args({"command": "sh -c 'echo hi'", "user": "nobody",
                               "environment": ["A=1", "B"], "working_dir": "/w"})
    assert argv == ["sh", "-c", "echo hi"]
    assert kw == {"env": {"A": "1", "B": ""}, "user": "nobody", "working_dir": "/w",
                  "privileged": False}
    assert exec_spec_args({"command": ["true"], "environment": {"X": None}})[1]["env"] == {"X": ""}
    assert _top_level(["/a/b/c", "/a/b", "/a/bc", "/z"]) == ["/a/b", "/a/bc", "/z"]
