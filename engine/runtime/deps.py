"""The runtime's calls into the network and volume services (engine/network, engine/volumes).

setup(eng, info) -> Sandbox          engine.networks.setup_sandbox
teardown(eng, cid)                   engine.networks.teardown_sandbox (idempotent)
prepare_mounts(eng, cid, mounts, rootfs_dir) -> [(host source | None, target, Mount)]
release_mounts(eng, cid, remove_anonymous)
"""
from __future__ import annotations

from engine.errors import NotFound
from engine.types import Sandbox


def setup(eng, info) -> Sandbox:
    return eng.networks.setup_sandbox(info)


def teardown(eng, cid: str) -> None:
    eng.networks.teardown_sandbox(cid)


def prepare_mounts(eng, cid: str, mounts, rootfs_dir: str) -> list:
    return list(eng.volumes.prepare_mounts(cid, mounts, rootfs_dir))


def release_mounts(eng, cid: str, remove_anonymous: bool) -> None:
    try:
        eng.volumes.release(cid, remove_anonymous)
    except NotFound:
        pass
