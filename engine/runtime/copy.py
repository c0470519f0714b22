"""``cp`` between the host and a container, as a tar stream through a pipe.

A forked helper enters the container's filesystem — the mount namespace of its PID 1 when
running, else a private mount namespace with the container's root mounted — chroots there
and packs / unpacks the tar; the host side does the other half. Paths inside the container
are therefore resolved by the container's own root (symlinks cannot escape it).
"""
from __future__ import annotations

import os
import shutil
import tarfile

from engine.errors import NotFound, RuntimeFailure

from . import syscalls as sc


def _enter_fs(svc, cid: str) -> None:
    """In a forked child: put this process's root at the container's root filesystem."""
    st = svc.store.live_state(cid)
    if st.get("running"):
        fd = os.open(f"/proc/{st['pid']}/ns/mnt", os.O_RDONLY)
        sc.setns(fd, sc.CLONE_NEWNS)
        os.close(fd)
        os.chdir("/")
        return
    cfg = svc.store.load_config(cid)
    rootfs = cfg["rootfs"]
    sc.unshare(sc.CLONE_NEWNS)
    sc.mount(None, "/", None, sc.MS_REC | sc.MS_PRIVATE)
    target = str(svc.layout.rootfs_mount(cid)) + ".cp"
    os.makedirs(target, exist_ok=True)
    if rootfs["type"] == "overlay":
        sc.mount("overlay", target, "overlay", 0,
                 f"lowerdir={':'.join(rootfs['lowerdirs'])},upperdir={rootfs['upperdir']},"
                 f"workdir={rootfs['workdir']}")
    else:
        sc.mount(rootfs["source"], target, None, sc.MS_BIND)
    os.chroot(target)
    os.chdir("/")


def _run_child(svc, cid: str, body) -> None:
    errr, errw = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(errr)
        try:
            _enter_fs(svc, cid)
            body()
            os._exit(0)
        except BaseException as e:  # noqa: BLE001
            try:
                os.write(errw, str(e).encode()[:2000])
            finally:
                os._exit(1)
    os.close(errw)
    return pid, errr


def _finish(pid: int, errr: int) -> None:
    msg = b""
    while True:
        chunk = os.read(errr, 4096)
        if not chunk:
            break
        msg += chunk
    os.close(errr)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        text = msg.decode(errors="replace") or "copy failed"
        if "No such file" in text:
            raise NotFound(f"Could not find the file in container: {text}")
        raise RuntimeFailure(f"cp: {text}")


def _extract(tar: tarfile.TarFile, dest: str) -> None:
    if hasattr(tarfile, "tar_filter"):          # Python >= 3.11.4: refuse unsafe members
        tar.extractall(dest, filter="tar")
    else:
        tar.extractall(dest)


def _extract_as(tar: tarfile.TarFile, dest: str, src_name: str) -> None:
    """Docker cp rule: into ``dest`` if it is a directory, else as ``dest``."""
    if os.path.isdir(dest):
        _extract(tar, dest)
        return
    parent = os.path.dirname(dest.rstrip("/")) or "/"
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"No such file or directory: {parent}")
    tmp = os.path.join(parent, f".pycompose-cp-{os.getpid()}")
    os.makedirs(tmp)
    try:
        _extract(tar, tmp)
        if os.path.isdir(dest):
            shutil.rmtree(dest)
        os.replace(os.path.join(tmp, src_name), dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def copy_into(svc, cid: str, src: str, dest: str) -> None:
    if not os.path.lexists(src):
        raise NotFound(f"no such file or directory: {src}")
    name = os.path.basename(src.rstrip("/")) or "root"
    r, w = os.pipe()

    def body():
        os.close(w)
        with os.fdopen(r, "rb") as f, tarfile.open(fileobj=f, mode="r|") as tar:
            _extract_as(tar, dest, name)

    pid, errr = _run_child(svc, cid, body)
    os.close(r)
    try:
        with os.fdopen(w, "wb") as f, tarfile.open(fileobj=f, mode="w|") as tar:
            tar.add(src, arcname=name)
    except BrokenPipeError:
        pass
    _finish(pid, errr)


def copy_out(svc, cid: str, src: str, dest: str) -> None:
    name = os.path.basename(src.rstrip("/")) or "root"
    r, w = os.pipe()

    def body():
        os.close(r)
        with os.fdopen(w, "wb") as f, tarfile.open(fileobj=f, mode="w|") as tar:
            tar.add(src, arcname=name)

    pid, errr = _run_child(svc, cid, body)
    os.close(w)
    try:
        with os.fdopen(r, "rb") as f, tarfile.open(fileobj=f, mode="r|") as tar:
            _extract_as(tar, dest, name)
    finally:
        _finish(pid, errr)
