"""Inside the new mount namespace: build the container's filesystem view.

Runs in the process that becomes PID 1 (before pivot_root), driven by the plain-data
``plan`` (see engine/runtime/plan.py). Order: rslave /, mount the root (overlay or bind),
/proc, /dev (+ OCI default devices, pts, shm, mqueue, links), /sys (ro) with the cgroup
view, user mounts, /etc/{hosts,resolv.conf,hostname}, sysctls, Docker's masked and
read-only paths, read-only root, then pivot_root.
"""
from __future__ import annotations

import os
import stat

from ..pathsafe import secure_join
from . import syscalls as sc

# OCI default devices: name -> (major, minor)
DEFAULT_DEVICES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
                   "urandom": (1, 9), "tty": (5, 0)}
DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
             "stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx"}
# Docker's masked paths (moby oci/defaults.go) and read-only paths
MASKED_PATHS = ("/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
                "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
                "/sys/devices/virtual/powercap")
READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")

NOSUID_NODEV_NOEXEC = sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC


def mount_root(plan: dict) -> str:
    target = plan["root_target"]
    os.makedirs(target, exist_ok=True)
    sc.mount(None, "/", None, sc.MS_REC | sc.MS_SLAVE)
    rootfs = plan["rootfs"]
    if rootfs["type"] == "overlay":
        lower = ":".join(rootfs["lowerdirs"])
        data = f"lowerdir={lower},upperdir={rootfs['upperdir']},workdir={rootfs['workdir']}"
        sc.mount("overlay", target, "overlay", 0, data)
    else:
        sc.mount(rootfs["source"], target, None, sc.MS_BIND | sc.MS_REC)
    return target


def _mkdir_in(root: str, path: str, mode: int = 0o755) -> str:
    full = secure_join(root, path)
    os.makedirs(full, mode=mode, exist_ok=True)
    return full


def _touch_in(root: str, path: str) -> str:
    full = secure_join(root, path)
    if not os.path.lexists(full):
        os.makedirs(os.path.dirname(full), exist_ok=True)
        os.close(os.open(full, os.O_CREAT | os.O_WRONLY, 0o644))
    return full


def mount_proc_dev(root: str, plan: dict) -> None:
    sc.mount("proc", _mkdir_in(root, "/proc"), "proc", NOSUID_NODEV_NOEXEC)
    dev = _mkdir_in(root, "/dev")
    if plan.get("privileged"):
        sc.mount("/dev", dev, None, sc.MS_BIND | sc.MS_REC)
        return
    sc.mount("tmpfs", dev, "tmpfs", sc.MS_NOSUID | sc.MS_STRICTATIME, "mode=755,size=65536k")
    old = os.umask(0)
    try:
        for name, (major, minor) in DEFAULT_DEVICES.items():
            os.mknod(os.path.join(dev, name), 0o666 | stat.S_IFCHR, os.makedev(major, minor))
        for dev_map in plan.get("devices", ()):
            _add_device(dev, dev_map)
    finally:
        os.umask(old)
    for name, target in DEV_LINKS.items():
        os.symlink(target, os.path.join(dev, name))
    for sub in ("pts", "shm", "mqueue"):
        os.mkdir(os.path.join(dev, sub), 0o755)
    sc.mount("devpts", os.path.join(dev, "pts"), "devpts", sc.MS_NOSUID | sc.MS_NOEXEC,
             "newinstance,ptmxmode=0666,mode=0620,gid=5")
    shm_kib = max(1, int(plan.get("shm_size") or 64 << 20) // 1024)
    sc.mount("shm", os.path.join(dev, "shm"), "tmpfs", NOSUID_NODEV_NOEXEC,
             f"mode=1777,size={shm_kib}k")
    sc.mount("mqueue", os.path.join(dev, "mqueue"), "mqueue", NOSUID_NODEV_NOEXEC)
    if plan.get("tty") and plan.get("console"):
        _touch_in(root, "/dev/console")
        sc.mount(plan["console"], os.path.join(dev, "console"), None, sc.MS_BIND)


def _add_device(dev_dir: str, dev_map) -> None:
    host_path, container_path = dev_map[0], dev_map[1]
    st = os.stat(host_path)
    name = container_path[len("/dev/"):] if container_path.startswith("/dev/") else \
        container_path.lstrip("/")
    full = os.path.join(dev_dir, name)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    os.mknod(full, stat.S_IMODE(st.st_mode) | stat.S_IFMT(st.st_mode), st.st_rdev)
    os.chown(full, st.st_uid, st.st_gid)


def mount_sys(root: str, plan: dict) -> None:
    sys_dir = _mkdir_in(root, "/sys")
    ro = 0 if plan.get("privileged") else sc.MS_RDONLY
    if plan["namespaces"].get("net") == "host":
        sc.mount("/sys", sys_dir, None, sc.MS_BIND)
        if ro:
            sc.mount(None, sys_dir, None, sc.MS_REMOUNT | sc.MS_BIND | sc.MS_RDONLY
                     | NOSUID_NODEV_NOEXEC)
    else:
        sc.mount("sysfs", sys_dir, "sysfs", NOSUID_NODEV_NOEXEC | ro)
    cg = plan.get("cgroup_mount")
    if not cg:
        return
    cg_dir = os.path.join(sys_dir, "fs", "cgroup")
    if cg["version"] == 2:
        sc.mount("cgroup", cg_dir, "cgroup2", NOSUID_NODEV_NOEXEC | sc.MS_RDONLY)
        return
    sc.mount("cgroup", cg_dir, "tmpfs", NOSUID_NODEV_NOEXEC, "mode=755")
    for name, host_dir in cg["controllers"]:
        sub = os.path.join(cg_dir, name)
        os.mkdir(sub)
        sc.mount(host_dir, sub, None, sc.MS_BIND)
        sc.mount(None, sub, None, sc.MS_REMOUNT | sc.MS_BIND | sc.MS_RDONLY | NOSUID_NODEV_NOEXEC)
    sc.mount(None, cg_dir, None, sc.MS_REMOUNT | sc.MS_RDONLY | NOSUID_NODEV_NOEXEC)


PROPAGATION = {"private": sc.MS_PRIVATE, "rprivate": sc.MS_PRIVATE | sc.MS_REC,
               "slave": sc.MS_SLAVE, "rslave": sc.MS_SLAVE | sc.MS_REC,
               "shared": sc.MS_SHARED, "rshared": sc.MS_SHARED | sc.MS_REC}


def mount_user_mounts(root: str, plan: dict) -> None:
    for m in plan.get("mounts", ()):
        if m["type"] == "tmpfs":
            target = _mkdir_in(root, m["target"])
            flags = sc.MS_NOSUID | sc.MS_NODEV | (sc.MS_RDONLY if m.get("read_only") else 0)
            sc.mount("tmpfs", target, "tmpfs", flags, m.get("options") or None)
            continue
        source = m["source"]
        if os.path.isdir(source):
            target = _mkdir_in(root, m["target"])
        else:
            target = _touch_in(root, m["target"])
        sc.mount(source, target, None, sc.MS_BIND | sc.MS_REC)
        prop = PROPAGATION.get(m.get("propagation") or "rprivate")
        sc.mount(None, target, None, prop)
        if m.get("read_only"):
            sc.mount(None, target, None, sc.MS_REMOUNT | sc.MS_BIND | sc.MS_RDONLY)
    for target, source in (plan.get("etc_files") or {}).items():
        full = _touch_in(root, target)
        sc.mount(source, full, None, sc.MS_BIND)
        if plan.get("read_only"):
            sc.mount(None, full, None, sc.MS_REMOUNT | sc.MS_BIND | sc.MS_RDONLY)


def write_sysctls(root: str, sysctls: dict) -> None:
    for key, value in sysctls.items():
        path = os.path.join(root, "proc/sys", key.replace(".", "/"))
        with open(path, "w") as f:
            f.write(str(value))


def mask_paths(root: str) -> None:
    null = os.path.join(root, "dev/null")
    for path in MASKED_PATHS:
        full = root + path
        if not os.path.lexists(full):
            continue
        if os.path.isdir(full):
            sc.mount("tmpfs", full, "tmpfs", sc.MS_RDONLY, None)
        else:
            sc.mount(null, full, None, sc.MS_BIND)
    for path in READONLY_PATHS:
        full = root + path
        if not os.path.exists(full):
            continue
        sc.mount(full, full, None, sc.MS_BIND | sc.MS_REC)
        sc.mount(None, full, None, sc.MS_REMOUNT | sc.MS_BIND | sc.MS_RDONLY
                 | NOSUID_NODEV_NOEXEC)


def pivot(root: str) -> None:
    old = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    new = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fchdir(new)
        sc.pivot_root(".", ".")
        os.fchdir(old)
        sc.mount(None, ".", None, sc.MS_SLAVE | sc.MS_REC)
        sc.umount2(".", sc.MNT_DETACH)
        os.chdir("/")
    finally:
        os.close(old)
        os.close(new)


def build(plan: dict) -> None:
    """Everything from the root mount to pivot_root (the caller is in a new mount ns)."""
    root = mount_root(plan)
    workdir = plan.get("workdir") or "/"
    _mkdir_in(root, workdir)
    mount_proc_dev(root, plan)
    mount_sys(root, plan)
    mount_user_mounts(root, plan)
    if plan.get("sysctls"):
        write_sysctls(root, plan["sysctls"])
    if not plan.get("privileged"):
        mask_paths(root)
    if plan.get("read_only"):
        sc.mount(None, root, None, sc.MS_REMOUNT | sc.MS_BIND | sc.MS_RDONLY)
    pivot(root)
