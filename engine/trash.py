"""Deferred deletion of directories the engine has already renamed out of sight.

Removing a container used to spend most of its time in unlink/rmdir of its directory and its
rootfs upper dir (~65 of ~80 ms per container, more under load). The directories are renamed
first (one atomic rename each: the container or snapshot is gone for every reader at once), and
``discard`` hands the renamed paths to one detached ``rm -rf --one-file-system`` (posix_spawn:
no fork of the interpreter, no subprocess import) that finishes after the command returns.
If that process dies, the paths are ``rm-*`` entries of ``snapshots/tmp``, which
Snapshotter.clean_staging (image prune) deletes.
"""
from __future__ import annotations

import os

_spawned: list[int] = []          # deleters not reaped yet (reaped by the next discard)


def discard(paths: list[str]) -> None:
    """Delete ``paths`` (directories nobody references any more) in the background."""
    paths = [p for p in paths if p]
    if not paths:
        return
    _reap()
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            actions = [(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (0, 1, 2)]
            pid = os.posix_spawnp("rm", ["rm", "-rf", "--one-file-system", "--", *paths],
                                  os.environ, file_actions=actions, setsid=True)
        finally:
            os.close(devnull)
        _spawned.append(pid)
    except OSError:
        import shutil                   # only when rm cannot be spawned (~6 ms import)
        for path in paths:
            shutil.rmtree(path, ignore_errors=True)


def _reap() -> None:
    """Reap finished deleters (several threads may run this at once: compose removes in
    parallel; a pid reaped or dropped by another thread is simply skipped)."""
    for pid in list(_spawned):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            try:
                _spawned.remove(pid)
            except ValueError:
                pass
