"""Watch mode end to end on the REAL engine: sync (copy + delete, every replica, modes kept),
sync+exec, sync+restart, rebuild (new image, recreated container, old image pruned), and the
`watch` / `up --watch` commands as subprocesses stopped with Ctrl-C.

The watcher runs in a thread (compose.watch.loop.Watcher with a stop event) or as a
subprocess; every check polls for its effect with a deadline (no fixed sleeps).
"""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from compose.watch.loop import Watcher
from compose.watch.rules import load_targets
from tests.compose.test_e2e_engine import engine_dirs, proj  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.root

DEADLINE = 30.0


def _poll(check, what: str, deadline: float = DEADLINE):
    end = time.time() + deadline
    last = None
    while time.time() < end:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def _containers(pc, service, all_=False):
    from compose import labels as L
    return sorted(pc.engine.containers.list(all=all_, filters=L.project_filter(
        pc.name, f"{L.SERVICE}={service}")), key=lambda c: c.name)


def _sh(pc, cid: str, script: str) -> tuple[int, str]:
    from engine.errors import Conflict
    from engine.types import ExecSpec
    out: list[bytes] = []
    try:
        code = pc.engine.containers.exec(cid, ExecSpec(cmd=("sh", "-c", script)),
                                         stdout=out.append, stderr=out.append)
    except Conflict as e:                     # not running (yet / any more): poll again
        return -1, str(e)
    return code, b"".join(out).decode()


class Running:
    """A Watcher of the project in ``pc.dir`` running in a thread."""

    def __init__(self, pc, services=()):
        from compose.loader import LoadOptions, load_project
        self.project = load_project(LoadOptions(files=[str(pc.dir / "compose.yaml")],
                                                project_name=pc.name))
        self.lines: list[str] = []
        self.watcher = Watcher(pc.engine, self.project, load_targets(self.project, services),
                               log=self.lines.append, timeout=1)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.watcher.run, args=(self.stop,), daemon=True)

    def __enter__(self):
        self.thread.start()
        _poll(lambda: "Watch enabled" in self.lines, "the watcher to start")
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()


SYNC = """
services:
  web:
    image: busybox
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    scale: 2
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app
          ignore: ["*.tmp"]
        - path: ./hook
          action: sync+exec
          target: /hook
          exec:
            command: ["sh", "-c", "cat /hook/h.txt >> /tmp/hooklog"]
"""


def test_sync_copies_into_every_replica_and_deletes(proj):
    (proj.dir / "src" / "sub").mkdir(parents=True)
    (proj.dir / "hook").mkdir()
    code, _, err = proj("up", "-d", text=SYNC)
    assert code == 0, err
    web = _containers(proj, "web")
    assert len(web) == 2
    with Running(proj) as w:
        f = proj.dir / "src" / "sub" / "hello.sh"
        f.write_text("echo hi\n")
        f.chmod(0o754)
        (proj.dir / "src" / "skip.tmp").write_text("ignored")
        for c in web:
            _poll(lambda: _sh(proj, c.id, "cat /app/sub/hello.sh") == (0, "echo hi\n"),
                  f"hello.sh in {c.name}")
            assert _sh(proj, c.id, "stat -c %a /app/sub/hello.sh") == (0, "754\n")
            assert _sh(proj, c.id, "test -e /app/skip.tmp")[0] != 0        # ignored by the rule
        assert any('Syncing service "web" after' in line for line in w.lines), w.lines
        f.unlink()
        for c in web:
            _poll(lambda: _sh(proj, c.id, "test -e /app/sub/hello.sh")[0] == 1,
                  f"hello.sh removed from {c.name}")
        (proj.dir / "hook" / "h.txt").write_text("hooked\n")
        for c in web:
            _poll(lambda: _sh(proj, c.id, "cat /tmp/hooklog") == (0, "hooked\n"),
                  f"exec hook ran once in {c.name}")
    assert [c.id for c in _containers(proj, "web")] == [c.id for c in web]   # never restarted


RESTART = """
services:
  app:
    image: busybox
    command: ["sh", "-c", "echo start >> /tmp/starts; exec sleep 300"]
    stop_signal: SIGKILL
    develop:
      watch:
        - path: ./conf
          action: sync+restart
          target: /etc/app
"""


def test_sync_restart_syncs_then_restarts(proj):
    (proj.dir / "conf").mkdir()
    code, _, err = proj("up", "-d", text=RESTART)
    assert code == 0, err
    [app] = _containers(proj, "app")
    _poll(lambda: _sh(proj, app.id, "cat /tmp/starts") == (0, "start\n"), "first start")
    with Running(proj) as w:
        (proj.dir / "conf" / "app.conf").write_text("level=debug\n")
        _poll(lambda: _sh(proj, app.id, "cat /tmp/starts")[1] == "start\nstart\n", "a restart")
        assert _sh(proj, app.id, "cat /etc/app/app.conf") == (0, "level=debug\n")
        assert any('Restarting service "app"' in line for line in w.lines), w.lines


REBUILD = """
services:
  api:
    build: .
    stop_signal: SIGKILL
    volumes: ["/cache"]
    develop:
      watch:
        - path: ./msg.txt
          action: rebuild
"""


def test_rebuild_builds_recreates_and_prunes(proj):
    (proj.dir / "Dockerfile").write_text('FROM busybox:latest\nCOPY msg.txt /msg.txt\nCMD ["sleep", "300"]\n')
    (proj.dir / "msg.txt").write_text("v1\n")
    code, _, err = proj("up", "-d", text=REBUILD)
    assert code == 0, err
    [old] = _containers(proj, "api")
    assert _sh(proj, old.id, "cat /msg.txt; echo kept > /cache/mark") == (0, "v1\n")
    with Running(proj) as w:
        (proj.dir / "msg.new").write_text("v2\n")              # an editor's atomic save
        os.replace(proj.dir / "msg.new", proj.dir / "msg.txt")
        new = _poll(lambda: [c for c in _containers(proj, "api") if c.id != old.id and c.state.running],
                    "the recreated container", deadline=90)[0]
        assert _sh(proj, new.id, "cat /msg.txt; cat /cache/mark") == (0, "v2\nkept\n")  # anon volume kept
        _poll(lambda: w.watcher.batches >= 1, "the batch to finish")
    assert new.image_id != old.image_id
    assert not pc_image_exists(proj, old.image_id)                          # --prune (default)
    assert any("Rebuilding service(s)" in line for line in w.lines), w.lines


def pc_image_exists(pc, image_id: str) -> bool:
    from engine.errors import NotFound
    try:
        pc.engine.images.inspect(image_id)
        return True
    except NotFound:
        return False


def test_watch_without_develop_section_is_rejected_before_anything_starts(proj):
    code, _, err = proj("watch", text="services:\n  a:\n    image: busybox\n")
    assert code != 0
    assert "none of the selected services is configured for watch" in err
    code, _, err = proj("up", "--watch")
    assert code != 0 and "develop" in err
    assert _containers(proj, "a", all_=True) == []


def _read_until(p, needle: str, lines: list) -> None:
    end = time.time() + DEADLINE
    while time.time() < end:
        line = p.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return
    p.kill()
    _, err = p.communicate(timeout=30)
    raise AssertionError(f"{needle!r} not printed: {lines}; stderr: {err}")


def test_up_watch_syncs_and_ctrl_c_stops_the_stack(proj):
    (proj.dir / "src").mkdir()
    (proj.dir / "compose.yaml").write_text(SYNC.replace("scale: 2", "scale: 1"))
    p = proj.sub("up", "--watch", "--no-color")
    lines: list = []
    try:
        _read_until(p, "Watch enabled", lines)
        [web] = _containers(proj, "web")
        (proj.dir / "src" / "x.txt").write_text("x\n")
        _poll(lambda: _sh(proj, web.id, "cat /app/x.txt") == (0, "x\n"), "x.txt synced")
    finally:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert _containers(proj, "web") == []                                   # stack stopped


def test_watch_command_ups_then_watches_and_ctrl_c_keeps_containers(proj):
    (proj.dir / "src").mkdir()
    (proj.dir / "compose.yaml").write_text(SYNC.replace("scale: 2", "scale: 1"))
    p = proj.sub("watch", "web")                  # the initial up is the `up` code path
    lines: list = []
    try:
        _read_until(p, "Watch enabled", lines)
        [web] = _containers(proj, "web")
        (proj.dir / "src" / "y.txt").write_text("y\n")
        _poll(lambda: _sh(proj, web.id, "cat /app/y.txt") == (0, "y\n"), "y.txt synced")
    finally:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert 'Syncing service "web" after 1 changes were detected' in "".join(lines) + out
    assert [c.id for c in _containers(proj, "web")] == [web.id]            # still running


def test_watch_no_up_starts_nothing(proj):
    (proj.dir / "src").mkdir()
    (proj.dir / "compose.yaml").write_text(SYNC)
    p = proj.sub("watch", "--no-up")
    lines: list = []
    try:
        _read_until(p, "Watch enabled", lines)
        assert _containers(proj, "web", all_=True) == []
    finally:
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=30)
    assert p.returncode == 0
