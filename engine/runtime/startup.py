"""Starting a container: cgroup, sandbox, mounts, the run plan, and the shim.

    prepare_run(svc, cfg, info) -> plan      cgroup created + limits applied, network sandbox,
                                             resolved mounts, /etc files, plan.json written
    launch_shim(layout, cid) -> dict         spawns the detached shim, waits for its report
                                             (engine/runtime/launch.py)
"""
from __future__ import annotations

import os

from engine.cgroups import driver as cgroup_driver
from engine.errors import InvalidArgument, NotFound

from . import deps
from .launch import launch_shim  # noqa: F401 - part of this module's interface
from .plan import mount_entries


def _ns_path_of(svc, ref: str, kind: str) -> str:
    """'container:<ref>' -> /proc/<its pid 1>/ns/<kind> (it must be running)."""
    try:
        cid = svc.store.resolve(ref)
    except NotFound:
        raise InvalidArgument(f"cannot join {kind} namespace of container {ref!r}: "
                              f"no such container") from None
    st = svc.store.live_state(cid)
    if not st.get("running"):
        raise InvalidArgument(f"cannot join {kind} namespace of a non running container: {ref}")
    return f"/proc/{st['pid']}/ns/{kind}"


def namespaces(svc, spec, sandbox, cg_version: int) -> dict:
    ns = {"mnt": "new", "uts": "new", "ipc": "new", "pid": "new",
          "cgroup": "new" if cg_version == 2 else "host"}
    if sandbox.netns_path:
        ns["net"] = sandbox.netns_path
    else:
        ns["net"] = "host"
    for kind, mode in (("ipc", spec.ipc_mode), ("pid", spec.pid_mode)):
        if mode == "host":
            ns[kind] = "host"
        elif mode.startswith("container:"):
            ns[kind] = _ns_path_of(svc, mode.split(":", 1)[1], kind)
    return ns


def _etc_files(svc, cid: str, cfg: dict, sandbox) -> dict:
    cdir = svc.layout.container_dir(cid)
    files = {"/etc/hostname": cfg["hostname"] + "\n", "/etc/hosts": sandbox.hosts,
             "/etc/resolv.conf": sandbox.resolv_conf}
    out = {}
    for target, text in files.items():
        path = cdir / os.path.basename(target)
        # regenerated on every start and bind-mounted: rewrite in place, no fsync needed
        with open(path, "w") as f:
            f.write(text or "")
        out[target] = str(path)
    return out


def _cgroup_info(cg) -> dict:
    if cg.version == 2:
        return {"version": 2, "root": cg.root, "rel": cg.rel}
    return {"version": 1, "mounts": cg.mounts, "rel": cg.rel}


def _volume_mounts(svc, cid: str, spec, rootfs: dict) -> list:
    """Resolve mounts; volumes may need the image content, so mount the root briefly."""
    if not spec.mounts and not spec.volumes_from:
        return []
    if not any(m.type == "volume" for m in spec.mounts):
        return deps.prepare_mounts(svc.engine, cid, spec.mounts, "")
    from . import syscalls as sc
    target = str(svc.layout.rootfs_mount(cid)) + ".vol"
    os.makedirs(target, exist_ok=True)
    if rootfs["type"] == "overlay":
        sc.mount("overlay", target, "overlay", sc.MS_RDONLY,
                 f"lowerdir={':'.join(rootfs['lowerdirs'] + [rootfs['upperdir']])}")
    else:
        sc.mount(rootfs["source"], target, None, sc.MS_BIND)
    try:
        return deps.prepare_mounts(svc.engine, cid, spec.mounts, target)
    finally:
        sc.umount2(target, sc.MNT_DETACH)
        os.rmdir(target)


def prepare_run(svc, cfg: dict, info) -> dict:
    """Create everything a run needs; on failure undo it. Returns the plan (written too)."""
    cid, spec = cfg["id"], info.spec
    drv = cgroup_driver()
    cg = drv.cgroup(cid)
    cg.create()
    sandbox = None
    try:
        cg.apply(_limits(cfg))
        sandbox = deps.setup(svc.engine, info)
        resolved = _volume_mounts(svc, cid, spec, cfg["rootfs"])
        plan = _plan(svc, cfg, info, cg, sandbox, resolved)
        from .shimstate import write_json_fast          # run state: no fsync needed
        write_json_fast(str(svc.layout.container_run_dir(cid) / "plan.json"), plan)
        from .serial import to_dict
        svc.store.state_file(cid).update(
            cgroup=_cgroup_info(cg), released=False, manually_stopped=False,
            ports=[to_dict(p) for p in sandbox.ports],
            networks=dict(sandbox.endpoints),
            mounts=[to_dict(m) for _s, _t, m in resolved])
        return plan
    except BaseException:
        if sandbox is not None:
            try:
                deps.teardown(svc.engine, cid)
            except Exception:  # noqa: BLE001
                pass
        cg.remove()
        raise


def _limits(cfg: dict) -> dict:
    limits = dict(cfg["limits"])
    limits["devices"] = [tuple(r) for r in limits.get("devices", ())]
    return limits


def _plan(svc, cfg, info, cg, sandbox, resolved) -> dict:
    spec, cid = info.spec, cfg["id"]
    rootfs_target = str(svc.layout.rootfs_mount(cid))
    runtime = {
        "rootfs": cfg["rootfs"], "root_target": rootfs_target,
        "namespaces": namespaces(svc, spec, sandbox, cg.version),
        "hostname": cfg["hostname"], "domainname": spec.domainname,
        "workdir": cfg["process"]["workdir"], "mounts": mount_entries(resolved, spec.tmpfs),
        "etc_files": _etc_files(svc, cid, cfg, sandbox), "sysctls": cfg["sysctls"],
        "ulimits": cfg["ulimits"], "oom_score_adj": spec.resources.oom_score_adj,
        "shm_size": spec.resources.shm_size, "tty": spec.tty, "init": spec.init,
        "privileged": spec.privileged, "read_only": spec.read_only,
        "devices": [[d.host_path, d.container_path or d.host_path, d.permissions]
                    for d in spec.devices],
        "cgroup_procs": cg.procs_files(), "cgroup_mount": cg.mount_view(),
        "cgroup": _cgroup_info(cg), "process": cfg["process"],
    }
    if cg.version == 2:
        oom_file = os.path.join(cg.dir, "memory.events")
        freezer = os.path.join(cg.dir, "cgroup.freeze")
    else:
        oom_file = os.path.join(cg.path("memory"), "memory.oom_control") \
            if "memory" in cg.mounts else ""
        freezer = os.path.join(cg.path("freezer"), "freezer.state") \
            if "freezer" in cg.mounts else ""
    shim = {"restart": cfg["restart"], "healthcheck": cfg["healthcheck"], "log": cfg["log"],
            "stdin_open": spec.stdin_open, "auto_remove": cfg.get("auto_remove", False),
            "oom_file": oom_file, "freezer_file": freezer}
    return {"runtime": runtime, "shim": shim}
