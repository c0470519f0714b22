"""Model → engine specs: a compose Service becomes an engine ContainerSpec, a top-level
network a NetworkSpec, a volume a VolumeSpec. Pure functions (no engine calls): everything
that depends on the engine (ids of containers a service shares namespaces with, the image
id, secret files written to disk) is passed in through ``ContainerContext``.
"""
from __future__ import annotations

import os
from engine.records import field, record
from typing import Optional

from engine.types import (ContainerSpec, DeviceMapping, EndpointSpec, Healthcheck, IPAMPool,
                          LogConfig, Mount, NetworkSpec, PortBinding, Resources, RestartPolicy,
                          Ulimit, VolumeSpec)

from . import labels as L

DEFAULT_SECRET_DIR = "/run/secrets"


@record
class ContainerContext:
    """What the executor knows when it converts a service (engine-dependent values)."""

    number: int
    config_hash: str
    image_id: str
    name: str = ""                              # overrides the computed container name
    service_containers: dict = field(default_factory=dict)  # service -> first container id/name
    secret_files: dict = field(default_factory=dict)        # target -> host file (content secrets)
    oneoff: bool = False
    slug: str = ""
    inherit_mounts: tuple = ()                  # anonymous volumes of the container being replaced


# the naming helpers live in compose.naming (light: the no-op `up` path plans without engine.types)
from .naming import image_ref, network_engine_name, network_names  # noqa: E402,F401
from .naming import project_container_name as container_name  # noqa: E402,F401
from .naming import volume_engine_name  # noqa: E402,F401


def network_spec(project, key: str, config_hash: str = "") -> NetworkSpec:
    net = project.networks.get(key)
    name = network_engine_name(project, key)
    lbls = dict(net.labels) if net else {}
    lbls.update(L.network_labels(project.name, key, config_hash))
    if net is None:
        return NetworkSpec(name=name, labels=lbls)
    pools = tuple(IPAMPool(subnet=c.get("subnet", ""), ip_range=c.get("ip_range", ""),
                           gateway=c.get("gateway", ""), aux_addresses=dict(c.get("aux_addresses") or {}))
                  for c in (net.ipam.config or ()))
    return NetworkSpec(name=name, driver=net.driver or "bridge", internal=net.internal,
                       attachable=net.attachable, enable_ipv6=bool(net.enable_ipv6),
                       ipam_driver=net.ipam.driver or "default", ipam=pools,
                       driver_opts=dict(net.driver_opts), labels=lbls)


def volume_spec(project, key: str, config_hash: str = "") -> VolumeSpec:
    vol = project.volumes[key]
    lbls = dict(vol.labels)
    lbls.update(L.volume_labels(project.name, key, config_hash))
    return VolumeSpec(name=vol.name, driver=vol.driver or "local",
                      driver_opts=dict(vol.driver_opts), labels=lbls)


def container_spec(project, service, ctx: ContainerContext) -> ContainerSpec:
    name = ctx.name or container_name(project, service, ctx.number)
    lbls = dict(service.labels)
    lbls.update(L.container_labels(project, service.name, ctx.number, ctx.config_hash, ctx.image_id,
                                   oneoff=ctx.oneoff, slug=ctx.slug,
                                   depends_on=L.depends_on_label(service.depends_on)))
    network_mode, networks = _networking(project, service, ctx)
    return ContainerSpec(
        image=image_ref(project, service), name=name,
        command=None if service.command is None else tuple(service.command),
        entrypoint=None if service.entrypoint is None else tuple(service.entrypoint),
        env={k: str(v) for k, v in service.environment.items() if v is not None},
        working_dir=service.working_dir or "", user=service.user or "",
        group_add=tuple(str(g) for g in service.group_add),
        hostname=service.hostname or "", domainname=service.domainname or "",
        labels=lbls, tty=service.tty, stdin_open=service.stdin_open, init=bool(service.init),
        privileged=service.privileged, read_only=service.read_only,
        cap_add=tuple(service.cap_add), cap_drop=tuple(service.cap_drop),
        security_opt=tuple(service.security_opt), sysctls={k: str(v) for k, v in service.sysctls.items()},
        ulimits=tuple(Ulimit(n, u.soft, u.hard) for n, u in sorted(service.ulimits.items())),
        resources=_resources(service),
        devices=tuple(_device(d) for d in service.devices),
        mounts=_mounts(project, service, ctx),
        volumes_from=tuple(_volumes_from(v, ctx) for v in service.volumes_from),
        tmpfs=_tmpfs(service.tmpfs),
        network_mode=network_mode, networks=networks,
        ports=() if ctx.oneoff else tuple(_ports(service)),
        expose=tuple(str(e) for e in service.expose),
        extra_hosts=tuple(_extra_hosts(service.extra_hosts)),
        dns=tuple(service.dns), dns_search=tuple(service.dns_search), dns_opt=tuple(service.dns_opt),
        ipc_mode=_ns_mode(service.ipc, ctx), pid_mode=_ns_mode(service.pid, ctx),
        restart_policy=RestartPolicy() if ctx.oneoff else _restart(service),
        healthcheck=_healthcheck(service.healthcheck),
        stop_signal=service.stop_signal or "",
        stop_timeout=service.stop_grace_period,
        log_config=_logging(service.logging),
        platform=service.platform or "",
        annotations=dict(service.annotations),
    )


def _networking(project, service, ctx) -> tuple[str, dict]:
    mode = service.network_mode
    if mode:
        if mode.startswith("service:"):
            return "container:" + ctx.service_containers.get(mode[8:], mode[8:]), {}
        return mode, {}
    networks = {}
    for key in network_names(project, service):
        sn = service.networks.get(key)
        aliases = [] if ctx.oneoff else [service.name]
        if sn is not None:
            aliases += [a for a in sn.aliases if a not in aliases]
        networks[network_engine_name(project, key)] = EndpointSpec(
            aliases=tuple(aliases),
            ipv4_address=(sn.ipv4_address or "") if sn else "",
            ipv6_address=(sn.ipv6_address or "") if sn else "",
            mac_address=((sn.mac_address if sn else None) or service.mac_address or ""),
            priority=sn.priority if sn else 0, gw_priority=sn.gw_priority if sn else 0,
            driver_opts=dict(sn.driver_opts) if sn else {})
    first = next(iter(networks), "bridge")
    return first, networks


def _ns_mode(mode: Optional[str], ctx) -> str:
    if not mode:
        return ""
    if mode.startswith("service:"):
        return "container:" + ctx.service_containers.get(mode[8:], mode[8:])
    return mode


def _volumes_from(entry: str, ctx) -> str:
    if entry.startswith("container:"):
        return entry[len("container:"):]
    svc, _, access = entry.partition(":")
    target = ctx.service_containers.get(svc, svc)
    return f"{target}:{access}" if access else target


def _mounts(project, service, ctx) -> tuple:
    mounts = []
    inherited = {m.target: m for m in ctx.inherit_mounts if m.type == "volume"}
    for v in service.volumes:
        if v.type == "bind":
            short = v.bind is None
            mounts.append(Mount(type="bind", target=v.target, source=v.source or "",
                                read_only=v.read_only,
                                propagation=(v.bind.propagation or "") if v.bind else "",
                                create_host_path=True if short else v.bind.create_host_path,
                                selinux=(v.bind.selinux or "") if v.bind else ""))
        elif v.type == "volume":
            source = volume_engine_name(project, v.source) if v.source else ""
            if not source and v.target in inherited:
                source = inherited[v.target].source
            mounts.append(Mount(type="volume", target=v.target, source=source, read_only=v.read_only,
                                nocopy=bool(v.volume and v.volume.nocopy),
                                subpath=(v.volume.subpath or "") if v.volume else ""))
        elif v.type == "tmpfs":
            mounts.append(Mount(type="tmpfs", target=v.target,
                                tmpfs_size=v.tmpfs.size if v.tmpfs else None,
                                tmpfs_mode=v.tmpfs.mode if v.tmpfs else None))
    mounts.extend(_file_mounts(project, service, ctx))
    taken = {m.target for m in mounts}
    for target, m in inherited.items():      # e.g. image VOLUMEs: keep their data on recreate
        if target not in taken:
            mounts.append(Mount(type="volume", target=target, source=m.source))
    return tuple(mounts)


def secret_target(ref, is_secret: bool) -> str:
    if ref.target:
        if is_secret and not ref.target.startswith("/"):
            return f"{DEFAULT_SECRET_DIR}/{ref.target}"
        return ref.target
    return f"{DEFAULT_SECRET_DIR}/{ref.source}" if is_secret else f"/{ref.source}"


def _file_mounts(project, service, ctx) -> list:
    out = []
    for refs, defs, is_secret in ((service.secrets, project.secrets, True),
                                  (service.configs, project.configs, False)):
        for ref in refs:
            target = secret_target(ref, is_secret)
            definition = defs.get(ref.source)
            source = ctx.secret_files.get(target)
            if source is None and definition is not None and definition.file:
                source = definition.file
            if source:
                out.append(Mount(type="bind", target=target, source=source, read_only=True))
    return out


def file_contents(project, service) -> list[tuple[str, bytes, int, int, int]]:
    """Secrets/configs with ``content``/``environment`` sources: (target, data, mode, uid, gid)."""
    out = []
    for refs, defs, is_secret in ((service.secrets, project.secrets, True),
                                  (service.configs, project.configs, False)):
        for ref in refs:
            d = defs.get(ref.source)
            if d is None or d.file:
                continue
            if d.content is not None:
                data = d.content.encode()
            elif d.environment is not None:
                data = (project.environment.get(d.environment) or os.environ.get(d.environment, "")).encode()
            else:
                continue
            mode = ref.mode if ref.mode is not None else 0o444
            out.append((secret_target(ref, is_secret), data, mode,
                        int(ref.uid or 0), int(ref.gid or 0)))
    return out


def _ports(service):
    """One binding per container port; a host range for one container port
    (``"8000-8010:80"``) binds the first free port of the range, like Docker."""
    for p in service.ports:
        host_port = host_port_end = None
        if p.published:
            first, _, last = str(p.published).partition("-")
            host_port = int(first) if first else None
            if last and host_port is not None and int(last) != host_port:
                host_port_end = int(last)
        yield PortBinding(container_port=int(p.target), protocol=p.protocol or "tcp",
                          host_ip=p.host_ip or "", host_port=host_port,
                          host_port_end=host_port_end)


def _extra_hosts(extra):
    if isinstance(extra, dict):
        for host, ips in extra.items():
            for ip in (ips if isinstance(ips, (list, tuple)) else [ips]):
                yield f"{host}:{ip}"
    else:
        yield from extra


def _tmpfs(entries) -> dict:
    out = {}
    for e in entries:
        target, _, opts = str(e).partition(":")
        out[target] = opts
    return out


def _device(d) -> DeviceMapping:
    if isinstance(d, str):
        parts = d.split(":")
        return DeviceMapping(parts[0], parts[1] if len(parts) > 1 else parts[0],
                             parts[2] if len(parts) > 2 else "rwm")
    return DeviceMapping(d.get("source", ""), d.get("target") or d.get("source", ""),
                         d.get("permissions") or "rwm")


def _resources(service) -> Resources:
    limits = service.deploy.resources.limits if service.deploy else None
    reservations = service.deploy.resources.reservations if service.deploy else None
    cpus = service.cpus or (limits.cpus if limits else None)
    return Resources(
        memory=service.mem_limit or (limits.memory if limits else None),
        memory_swap=service.memswap_limit,
        memory_reservation=service.mem_reservation or (reservations.memory if reservations else None),
        nano_cpus=int(cpus * 1e9) if cpus else None,
        cpu_shares=service.cpu_shares, cpuset_cpus=service.cpuset or "",
        pids_limit=service.pids_limit or (limits.pids if limits else None),
        shm_size=service.shm_size, oom_score_adj=service.oom_score_adj or 0)


def _restart(service) -> RestartPolicy:
    if service.restart:
        name, _, count = service.restart.partition(":")
        return RestartPolicy(name=name, max_retries=int(count) if count else 0)
    rp = service.deploy.restart_policy if service.deploy else None
    if rp is not None and rp.condition:
        name = {"any": "always", "on-failure": "on-failure", "none": "no"}.get(rp.condition, "no")
        return RestartPolicy(name=name, max_retries=rp.max_attempts or 0)
    return RestartPolicy()


def _healthcheck(hc) -> Optional[Healthcheck]:
    if hc is None:
        return None
    if hc.disable:
        return Healthcheck(test=("NONE",), disable=True)
    d = Healthcheck()
    return Healthcheck(test=tuple(hc.test), interval=hc.interval if hc.interval is not None else d.interval,
                       timeout=hc.timeout if hc.timeout is not None else d.timeout,
                       retries=hc.retries if hc.retries is not None else d.retries,
                       start_period=hc.start_period or 0.0,
                       start_interval=hc.start_interval if hc.start_interval is not None else d.start_interval)


def _logging(lg) -> LogConfig:
    if lg is None or not lg.driver:
        return LogConfig(options=dict(lg.options) if lg else {})
    return LogConfig(driver=lg.driver, options=dict(lg.options))
