"""The runtime's calls into the network and volume services, with minimal fallbacks.

setup(eng, info) -> Sandbox         engine.networks.setup_sandbox, or (module missing) a
                                    private netns with lo only (netns_path "new") / host
teardown(eng, cid)                  engine.networks.teardown_sandbox (fallback: nothing)
prepare_mounts(eng, cid, mounts, rootfs_dir) -> [(host source, target, Mount)]
release_mounts(eng, cid, remove_anonymous)
"""
from __future__ import annotations

import os
import secrets

from engine.errors import InvalidArgument, NotFound
from engine.types import Mount, Sandbox

LOCALHOST = ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
             "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
             "ff02::2\tip6-allrouters\n")


def _service(eng, name: str):
    try:
        return getattr(eng, name)
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith(f"engine.{'network' if name == 'networks' else name}"):
            return None
        raise


def setup(eng, info) -> Sandbox:
    svc = _service(eng, "networks")
    if svc is not None:
        return svc.setup_sandbox(info)
    mode = info.spec.network_mode or "bridge"
    hostname = info.spec.hostname or info.id[:12]
    if mode == "host":
        try:
            with open("/etc/resolv.conf") as f:
                resolv = f.read()
        except OSError:
            resolv = ""
        return Sandbox(netns_path="", hosts=LOCALHOST, resolv_conf=resolv,
                       hostname=os.uname().nodename)
    return Sandbox(netns_path="new", hosts=LOCALHOST, resolv_conf="", hostname=hostname)


def teardown(eng, cid: str) -> None:
    svc = _service(eng, "networks")
    if svc is not None:
        svc.teardown_sandbox(cid)


def prepare_mounts(eng, cid: str, mounts, rootfs_dir: str) -> list:
    svc = _service(eng, "volumes")
    if svc is not None:
        return list(svc.prepare_mounts(cid, mounts, rootfs_dir))
    out = []
    for m in mounts:
        if m.type == "tmpfs":
            out.append((None, m.target, m))
        elif m.type == "bind":
            if not os.path.exists(m.source):
                if not m.create_host_path:
                    raise InvalidArgument(f"invalid mount config for type \"bind\": bind source "
                                          f"path does not exist: {m.source}")
                os.makedirs(m.source, exist_ok=True)
            out.append((m.source, m.target, m))
        elif m.type == "volume":
            name = m.source or secrets.token_hex(32)
            data = eng.layout.volume_dir(name) / "_data"
            data.mkdir(parents=True, exist_ok=True)
            src = data / m.subpath if m.subpath else data
            out.append((str(src), m.target, Mount(**{**m.__dict__, "source": name})))
        else:
            raise InvalidArgument(f"unsupported mount type {m.type!r} for {m.target}")
    return out


def release_mounts(eng, cid: str, remove_anonymous: bool) -> None:
    svc = _service(eng, "volumes")
    if svc is not None:
        try:
            svc.release(cid, remove_anonymous)
        except NotFound:
            pass
