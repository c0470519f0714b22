"""Filesystem side of volumes: driver-option mounts, copy-up of image content, bind sources."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import InvalidArgument, RuntimeFailure
from ..pathsafe import secure_join as _secure_join
from ..types import Mount

MS_BIND, MS_REC, MNT_DETACH = 4096, 16384, 2


def _libc():
    from ..network.netns import mount, umount
    return mount, umount


def is_mounted(path) -> bool:
    """True if ``path`` is a mount point (bind mounts of the same filesystem included, which
    os.path.ismount misses)."""
    target = os.path.realpath(path)
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                point = line.split()[4]
                if "\\" in point:
                    point = point.encode().decode("unicode_escape")
                if point == target:
                    return True
    except OSError:
        return os.path.ismount(path)
    return False


def mount_data(data: Path, options: dict, name: str) -> None:
    """Mount a volume's type/o/device options onto its _data directory (once)."""
    if not options or is_mounted(data):
        return
    mount, _ = _libc()
    vtype, opts, device = options.get("type", ""), options.get("o", ""), options.get("device", "")
    flags = [o for o in opts.split(",") if o]
    try:
        if "bind" in flags or "rbind" in flags or vtype == "none":
            if not os.path.isdir(device):
                raise InvalidArgument(f"error while mounting volume {name}: failed to mount local "
                                      f"volume: device {device} is not an existing directory")
            mount(device, str(data), None, MS_BIND | (MS_REC if "rbind" in flags else 0))
        else:
            rest = ",".join(o for o in flags if o not in ("bind", "rbind")) or None
            mount(device or vtype, str(data), vtype, 0, rest)
    except OSError as e:
        raise RuntimeFailure(f"error while mounting volume {name}: failed to mount local volume: "
                             f"mount {device or vtype}:{data}, data: {opts}: {e.strerror}") from e


def unmount_data(data: Path) -> None:
    """Unmount everything stacked on a volume's _data; raise if something stays mounted."""
    _, umount = _libc()
    for _ in range(8):
        if not is_mounted(data):
            return
        try:
            umount(str(data), MNT_DETACH)
        except OSError as e:
            raise RuntimeFailure(f"cannot unmount volume data {data}: {e.strerror}") from e
    raise RuntimeFailure(f"volume data {data} is still mounted")


def secure_join(root: str, path: str) -> str:
    """engine.pathsafe.secure_join with its error translated for volume users."""
    try:
        return _secure_join(root, path)
    except OSError as e:
        raise InvalidArgument(e.strerror or str(e)) from None


def copy_up(rootfs_dir: str, target: str, data: Path) -> None:
    """Copy the image's content at ``target`` into an empty volume (owner, modes, links kept)."""
    if not rootfs_dir:
        return
    src = secure_join(rootfs_dir, target)
    if not os.path.isdir(src) or any(os.scandir(data)):
        return
    import subprocess
    proc = subprocess.run(["cp", "-a", "--", src + "/.", str(data) + "/"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeFailure(f"copying image content of {target} into the volume failed: "
                             f"{proc.stderr.strip()}")


def bind_source(m: Mount) -> str:
    src = m.source
    if not src or not os.path.isabs(src):
        raise InvalidArgument(f"invalid mount config for type \"bind\": invalid mount path: "
                              f"{src!r} mount path must be absolute (target {m.target})")
    if not os.path.exists(src):
        if not m.create_host_path:
            raise InvalidArgument(f"invalid mount config for type \"bind\": bind source path does "
                                  f"not exist: {src}")
        try:
            os.makedirs(src, exist_ok=True)
        except OSError as e:
            raise RuntimeFailure(f"cannot create bind source {src}: {e.strerror}") from e
    return src


def subpath_source(data: Path, subpath: str, name: str) -> str:
    path = secure_join(str(data), subpath)
    if not os.path.exists(path):
        raise InvalidArgument(f"cannot mount volume {name}: subpath {subpath} does not exist "
                              f"in the volume")
    return path
