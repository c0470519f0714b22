"""Turn specs into the plain-data ``plan`` the process code executes.

The plan is a JSON-able dict, saved in the container's config.json, so the shim (which keeps
its imports minimal) can run the container without importing the engine's dataclasses.
Also: Docker's resolution of entrypoint / cmd / env / working dir / user against the image.
"""
from __future__ import annotations

from typing import Optional

from engine.errors import InvalidArgument
from engine.types import ImageConfig, Mount, RootfsMount

from . import caps as capmod

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ULIMIT_NAMES = ("core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice",
                "nofile", "nproc", "rss", "rtprio", "sigpending", "stack", "as")
# sysctls that are namespaced (Docker's validation: kernel.* IPC keys, fs.mqueue.*, net.*)
IPC_SYSCTLS = ("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
               "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced")


def resolve_argv(entrypoint, command, image: ImageConfig) -> list[str]:
    """Docker: --entrypoint replaces the image ENTRYPOINT and drops the image CMD."""
    if entrypoint is not None:
        ep = list(entrypoint)
        cmd = list(command) if command is not None else []
    else:
        ep = list(image.entrypoint or ())
        cmd = list(command) if command is not None else list(image.cmd or ())
    return ep + cmd


def resolve_env(image_env, spec_env: dict, hostname: str, tty: bool) -> list[str]:
    """Docker's CreateDaemonEnvironment: PATH default, HOSTNAME, TERM, then image+user env."""
    env = [f"PATH={DEFAULT_PATH}", f"HOSTNAME={hostname}"]
    if tty:
        env.append("TERM=xterm")
    merged: list[str] = list(image_env)
    for key, value in spec_env.items():
        item = key if value is None else f"{key}={value}"
        merged = [e for e in merged if e.split("=", 1)[0] != key] + [item]
    for item in merged:
        key = item.split("=", 1)[0]
        idx = next((i for i, e in enumerate(env) if e.split("=", 1)[0] == key), None)
        if idx is None:
            env.append(item)
        else:
            env[idx] = item
    return [e for e in env if "=" in e]


def rootfs_dict(rootfs: RootfsMount) -> dict:
    return {"type": rootfs.type, "lowerdirs": list(rootfs.lowerdirs),
            "upperdir": rootfs.upperdir, "workdir": rootfs.workdir, "source": rootfs.source}


def tmpfs_options(size: Optional[int], mode: Optional[int], extra: str = "") -> str:
    opts = [o for o in extra.split(",") if o]
    if size:
        opts.append(f"size={size}")
    if mode is not None:
        opts.append(f"mode={mode:o}")
    return ",".join(opts)


def mount_entries(resolved, tmpfs: dict) -> list[dict]:
    """[(host source, target, Mount)] + spec.tmpfs -> the plan's mount list."""
    out = []
    for source, target, m in resolved:
        if m.type == "tmpfs":
            out.append({"type": "tmpfs", "target": target, "read_only": m.read_only,
                        "options": tmpfs_options(m.tmpfs_size, m.tmpfs_mode)})
        else:
            out.append({"type": "bind", "source": str(source), "target": target,
                        "read_only": m.read_only, "propagation": m.propagation})
    for target, options in (tmpfs or {}).items():
        out.append({"type": "tmpfs", "target": target, "read_only": False,
                    "options": options or ""})
    return out


def check_ulimits(ulimits) -> list[list]:
    out = []
    for u in ulimits:
        if u.name not in ULIMIT_NAMES:
            raise InvalidArgument(f"invalid ulimit type: {u.name}")
        if u.soft > u.hard and u.hard != -1:
            raise InvalidArgument(f"ulimit soft limit must be less than or equal to hard "
                                  f"limit: {u.soft} > {u.hard}")
        soft = -1 if u.soft < 0 else u.soft
        hard = -1 if u.hard < 0 else u.hard
        out.append([u.name, soft, hard])
    return out


def check_sysctls(sysctls: dict, network_mode: str, ipc_mode: str) -> dict:
    for key in sysctls:
        if key in IPC_SYSCTLS or key.startswith("fs.mqueue."):
            if ipc_mode == "host":
                raise InvalidArgument(f"sysctl {key!r} not allowed with ipc mode host")
        elif key.startswith("net."):
            if network_mode == "host":
                raise InvalidArgument(f"sysctl {key!r} not allowed in host network namespace")
        elif key in ("kernel.domainname", "kernel.hostname"):
            raise InvalidArgument(f"sysctl {key!r} is not allowed: use hostname/domainname")
        else:
            raise InvalidArgument(f"sysctl {key!r} is not allowed: not namespaced "
                                  "(allowed: net.*, fs.mqueue.*, kernel IPC keys)")
    return {k: str(v) for k, v in sysctls.items()}


def security_options(security_opt) -> dict:
    out = {"no_new_privs": False, "seccomp": True}
    for opt in security_opt:
        key, sep, value = opt.replace("=", ":", 1).partition(":")
        if key == "no-new-privileges":
            out["no_new_privs"] = (value or "true").lower() != "false"
        elif key == "seccomp":
            out["seccomp"] = value != "unconfined"
        elif key in ("apparmor", "label", "systempaths"):
            continue
        else:
            raise InvalidArgument(f"invalid --security-opt: {opt!r}")
    return out


def process_section(argv, env, user, group_add, workdir, cap_add=(), cap_drop=(),
                    privileged=False, security_opt=()) -> dict:
    sec = security_options(security_opt)
    caps = capmod.effective_caps(cap_add, cap_drop, privileged)
    return {"argv": list(argv), "env": list(env), "user": user or "",
            "group_add": [str(g) for g in group_add], "workdir": workdir or "/",
            "caps": caps, "no_new_privs": sec["no_new_privs"],
            "seccomp": sec["seccomp"] and not privileged}


def oneshot_plan(rootfs: RootfsMount, root_target: str, argv, env: dict, user: str,
                 workdir: str, mounts, network: str, hostname: str, etc_files: dict) -> dict:
    env_list = [f"PATH={DEFAULT_PATH}"]
    for k, v in env.items():
        env_list = [e for e in env_list if e.split("=", 1)[0] != k] + [f"{k}={v}"]
    mount_list = []
    for m in mounts:
        if isinstance(m, Mount):
            if m.type == "tmpfs":
                mount_list.append({"type": "tmpfs", "target": m.target, "read_only": m.read_only,
                                   "options": tmpfs_options(m.tmpfs_size, m.tmpfs_mode)})
            else:
                mount_list.append({"type": "bind", "source": m.source, "target": m.target,
                                   "read_only": m.read_only, "propagation": m.propagation})
        else:
            mount_list.append(dict(m))
    return {
        "rootfs": rootfs_dict(rootfs), "root_target": root_target,
        "namespaces": {"mnt": "new", "uts": "new", "ipc": "new", "pid": "new",
                       "net": "host" if network == "host" else "new"},
        "hostname": hostname, "workdir": workdir or "/", "mounts": mount_list,
        "etc_files": etc_files, "process": process_section(argv, env_list, user, (), workdir),
    }
