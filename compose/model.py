"""The typed project model: frozen records bound from the loader's canonical dict.

The classes are ``engine.records.record(frozen=True)`` classes: dataclass-compatible
(``dataclasses.fields/replace/asdict`` work) but created without ``exec``, so importing this
module stays cheap.

Produced by ``compose.loader.load_project(LoadOptions(...)) -> Project``. Field names are the
Compose Specification keys in long syntax (snake_case as in YAML). Conventions:

* durations (healthcheck intervals, stop_grace_period, ...) are ``float`` seconds or None;
* memory / byte sizes (mem_limit, shm_size, tmpfs size, resources memory) are ``int`` bytes;
* ``environment``: dict[str, str | None] (None = "take from the caller's environment" / unset);
* ``depends_on``: dict[str, DependsOn]; ``networks``: dict[str, ServiceNetwork | None];
* sequences are tuples; mappings are plain dicts (do not mutate them);
* every class keeps the canonical sub-dict it was bound from in ``raw`` so that anything not
  modelled as a field yet (and x- extensions) is still reachable.

Stable public API (others code against it; only additions from now on):

    Project(name, working_dir, config_files, services, networks, volumes, secrets, configs,
            environment, profiles, extensions, config_dict, disabled_services)
      .service(name) -> Service            .service_names -> tuple[str, ...]
      .as_dict()  -> the canonical dict `pycompose config --format json` prints (a copy)
    Service(name, image, build, command, entrypoint, environment, ports, volumes, networks,
            depends_on, healthcheck, deploy, logging, ulimits, labels, ..., raw)
      .scale -> int (scale, else deploy.replicas, else 1)
      .dependencies() -> {service: DependsOn} incl. implicit ones (links, network_mode/ipc/pid:
            service:X, volumes_from) -- see compose/graph.py for the graph over them
    Port, ServiceVolume (+ VolumeBind, VolumeVolume, VolumeTmpfs), DependsOn, Healthcheck,
    Build, Deploy, Resources, ResourceLimit, RestartPolicy, Logging, ServiceNetwork, Ulimit,
    FileReference (service secrets/configs), WatchRule, Develop, Network, Ipam, Volume,
    Secret, Config.
"""
from __future__ import annotations

from _collections_abc import Mapping    # = collections.abc.Mapping (no collections import)

from engine.records import field, record

TYPE_CHECKING = False                   # typing is not imported at run time (~10 ms)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "Project", "Service", "Port", "ServiceVolume", "VolumeBind", "VolumeVolume", "VolumeTmpfs",
    "DependsOn", "Healthcheck", "Build", "Deploy", "Resources", "ResourceLimit", "RestartPolicy",
    "Logging", "ServiceNetwork", "Ulimit", "FileReference", "WatchRule", "Develop", "Network",
    "Ipam", "Volume", "Secret", "Config", "parse_duration", "parse_bytes",
]



# The parsers live in the loader (which must not import this module); re-exported here, and
# imported on first use (compose.loader.units compiles regular expressions: a project served
# from the cache never needs them).
def parse_duration(value):
    from compose.loader.units import parse_duration as parse
    return parse(value)


def parse_bytes(value):
    from compose.loader.units import parse_bytes as parse
    return parse(value)


def _tuple(items: Any) -> tuple:
    return tuple(items or ())


def _opt_int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


@record(frozen=True)
class Port:
    """One published port (services.*.ports, long form)."""
    target: int
    published: str | None = None      # a port or a range "8000-8010"; None = ephemeral
    host_ip: str | None = None
    protocol: str = "tcp"
    mode: str = "ingress"
    name: str | None = None
    app_protocol: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping) -> "Port":
        pub = d.get("published")
        return cls(target=int(d.get("target") or 0), published=None if pub in (None, "") else str(pub),
                   host_ip=d.get("host_ip"), protocol=d.get("protocol", "tcp"),
                   mode=d.get("mode", "ingress"), name=d.get("name"),
                   app_protocol=d.get("app_protocol"))


@record(frozen=True)
class VolumeBind:
    """Bind options of a service volume."""
    propagation: str | None = None
    create_host_path: bool = True
    selinux: str | None = None
    recursive: str | None = None


@record(frozen=True)
class VolumeVolume:
    """Volume options of a service volume."""
    nocopy: bool = False
    subpath: str | None = None
    labels: dict = field(default_factory=dict)


@record(frozen=True)
class VolumeTmpfs:
    """Tmpfs options of a service volume."""
    size: int | None = None           # bytes
    mode: int | None = None           # permission bits


@record(frozen=True)
class ServiceVolume:
    """One entry of service.volumes in long syntax (type bind|volume|tmpfs|npipe|image|cluster)."""
    type: str
    target: str
    source: str | None = None         # absolute host path for binds; volume key for volumes
    read_only: bool = False
    consistency: str | None = None
    bind: VolumeBind | None = None
    volume: VolumeVolume | None = None
    tmpfs: VolumeTmpfs | None = None
    image: dict | None = None

    @classmethod
    def from_dict(cls, d: Mapping) -> "ServiceVolume":
        b, v, t = d.get("bind"), d.get("volume"), d.get("tmpfs")
        return cls(
            type=d.get("type", "volume"), target=d.get("target", ""), source=d.get("source"),
            read_only=bool(d.get("read_only", False)), consistency=d.get("consistency"),
            bind=None if b is None else VolumeBind(
                propagation=b.get("propagation"), create_host_path=bool(b.get("create_host_path", True)),
                selinux=b.get("selinux"), recursive=b.get("recursive")),
            volume=None if v is None else VolumeVolume(
                nocopy=bool(v.get("nocopy", False)), subpath=v.get("subpath"),
                labels=dict(v.get("labels") or {})),
            tmpfs=None if t is None else VolumeTmpfs(size=parse_bytes(t.get("size")),
                                                     mode=_opt_int(t.get("mode"))),
            image=d.get("image"))


Mount = ServiceVolume


@record(frozen=True)
class DependsOn:
    """One depends_on entry (explicit or implicit)."""
    condition: str = "service_started"   # service_started|service_healthy|service_completed_successfully
    restart: bool = False
    required: bool = True
    implicit: bool = False               # True for links / network_mode / volumes_from edges

    @classmethod
    def from_dict(cls, d: Mapping) -> "DependsOn":
        return cls(condition=d.get("condition", "service_started"),
                   restart=bool(d.get("restart", False)), required=bool(d.get("required", True)))


@record(frozen=True)
class Healthcheck:
    """A service healthcheck."""
    test: tuple = ()                     # ("CMD", ...), ("CMD-SHELL", "..."), ("NONE",)
    interval: float | None = None     # seconds
    timeout: float | None = None
    retries: int | None = None
    start_period: float | None = None
    start_interval: float | None = None
    disable: bool = False

    @classmethod
    def from_dict(cls, d: Mapping) -> "Healthcheck":
        test = d.get("test")
        if isinstance(test, str):
            test = ("CMD-SHELL", test)
        disable = bool(d.get("disable", False)) or (bool(test) and test[0] == "NONE")
        return cls(test=_tuple(test), interval=parse_duration(d.get("interval")),
                   timeout=parse_duration(d.get("timeout")), retries=_opt_int(d.get("retries")),
                   start_period=parse_duration(d.get("start_period")),
                   start_interval=parse_duration(d.get("start_interval")), disable=disable)


@record(frozen=True)
class Build:
    """A service's build section."""
    context: str = "."                   # absolute after path resolution (or a URL)
    dockerfile: str | None = None     # relative to context (as Compose prints it)
    dockerfile_inline: str | None = None
    args: dict = field(default_factory=dict)
    target: str | None = None
    labels: dict = field(default_factory=dict)
    cache_from: tuple = ()
    cache_to: tuple = ()
    network: str | None = None
    shm_size: int | None = None
    extra_hosts: dict = field(default_factory=dict)
    platforms: tuple = ()
    tags: tuple = ()
    secrets: tuple = ()                  # FileReference
    ssh: tuple = ()
    additional_contexts: dict = field(default_factory=dict)
    no_cache: bool = False
    pull: bool = False
    privileged: bool = False
    raw: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Mapping) -> "Build":
        return cls(
            context=d.get("context", "."), dockerfile=d.get("dockerfile"),
            dockerfile_inline=d.get("dockerfile_inline"), args=dict(d.get("args") or {}),
            target=d.get("target"), labels=dict(d.get("labels") or {}),
            cache_from=_tuple(d.get("cache_from")), cache_to=_tuple(d.get("cache_to")),
            network=d.get("network"), shm_size=parse_bytes(d.get("shm_size")),
            extra_hosts=dict(d.get("extra_hosts") or {}), platforms=_tuple(d.get("platforms")),
            tags=_tuple(d.get("tags")),
            secrets=tuple(FileReference.from_dict(s) for s in d.get("secrets") or ()),
            ssh=_tuple(d.get("ssh")), additional_contexts=dict(d.get("additional_contexts") or {}),
            no_cache=bool(d.get("no_cache", False)), pull=bool(d.get("pull", False)),
            privileged=bool(d.get("privileged", False)), raw=dict(d))


@record(frozen=True)
class ResourceLimit:
    """deploy.resources limits or reservations."""
    cpus: float | None = None
    memory: int | None = None         # bytes
    pids: int | None = None
    devices: tuple = ()                  # raw dicts (capabilities, driver, count, device_ids, options)

    @classmethod
    def from_dict(cls, d: Mapping | None) -> "ResourceLimit" | None:
        if d is None:
            return None
        cpus = d.get("cpus")
        return cls(cpus=None if cpus in (None, "") else float(cpus), memory=parse_bytes(d.get("memory")),
                   pids=_opt_int(d.get("pids")), devices=_tuple(d.get("devices")))


@record(frozen=True)
class Resources:
    """deploy.resources."""
    limits: ResourceLimit | None = None
    reservations: ResourceLimit | None = None


@record(frozen=True)
class RestartPolicy:
    """deploy.restart_policy."""
    condition: str | None = None      # none|on-failure|any
    delay: float | None = None
    max_attempts: int | None = None
    window: float | None = None


@record(frozen=True)
class Deploy:
    """A service's deploy section."""
    mode: str | None = None
    replicas: int | None = None
    labels: dict = field(default_factory=dict)
    resources: Resources = field(default_factory=Resources)
    restart_policy: RestartPolicy | None = None
    raw: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Mapping) -> "Deploy":
        res = d.get("resources") or {}
        rp = d.get("restart_policy")
        return cls(
            mode=d.get("mode"), replicas=_opt_int(d.get("replicas")), labels=dict(d.get("labels") or {}),
            resources=Resources(ResourceLimit.from_dict(res.get("limits")),
                                ResourceLimit.from_dict(res.get("reservations"))),
            restart_policy=None if rp is None else RestartPolicy(
                condition=rp.get("condition"), delay=parse_duration(rp.get("delay")),
                max_attempts=_opt_int(rp.get("max_attempts")), window=parse_duration(rp.get("window"))),
            raw=dict(d))


@record(frozen=True)
class Logging:
    """A service's logging section."""
    driver: str | None = None
    options: dict = field(default_factory=dict)


@record(frozen=True)
class ServiceNetwork:
    """A service's attachment to one network."""
    aliases: tuple = ()
    ipv4_address: str | None = None
    ipv6_address: str | None = None
    link_local_ips: tuple = ()
    mac_address: str | None = None
    driver_opts: dict = field(default_factory=dict)
    priority: int = 0
    gw_priority: int = 0
    interface_name: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping | None) -> "ServiceNetwork" | None:
        if d is None:
            return None
        return cls(aliases=_tuple(d.get("aliases")), ipv4_address=d.get("ipv4_address"),
                   ipv6_address=d.get("ipv6_address"), link_local_ips=_tuple(d.get("link_local_ips")),
                   mac_address=d.get("mac_address"), driver_opts=dict(d.get("driver_opts") or {}),
                   priority=int(d.get("priority") or 0), gw_priority=int(d.get("gw_priority") or 0),
                   interface_name=d.get("interface_name"))


@record(frozen=True)
class Ulimit:
    """One ulimit (soft/hard)."""
    soft: int
    hard: int

    @classmethod
    def from_value(cls, v: Any) -> "Ulimit":
        if isinstance(v, Mapping):
            return cls(int(v.get("soft", 0)), int(v.get("hard", 0)))
        return cls(int(v), int(v))


@record(frozen=True)
class FileReference:
    """A service's use of a secret or config: source key, target path, uid/gid/mode."""
    source: str
    target: str | None = None
    uid: str | None = None
    gid: str | None = None
    mode: int | None = None

    @classmethod
    def from_dict(cls, d: Any) -> "FileReference":
        if isinstance(d, str):
            return cls(source=d)
        mode = d.get("mode")
        if isinstance(mode, str):
            mode = int(mode, 8)
        return cls(source=d.get("source", ""), target=d.get("target"),
                   uid=None if d.get("uid") is None else str(d.get("uid")),
                   gid=None if d.get("gid") is None else str(d.get("gid")), mode=mode)


@record(frozen=True)
class WatchRule:
    """One develop.watch rule."""
    path: str
    action: str                          # sync|rebuild|restart|sync+restart|sync+exec
    target: str | None = None
    ignore: tuple = ()
    include: tuple = ()
    initial_sync: bool = False
    exec: dict | None = None

    @classmethod
    def from_dict(cls, d: Mapping) -> "WatchRule":
        return cls(path=d.get("path", ""), action=d.get("action", ""), target=d.get("target"),
                   ignore=_tuple(d.get("ignore")), include=_tuple(d.get("include")),
                   initial_sync=bool(d.get("initial_sync", False)), exec=d.get("exec"))


@record(frozen=True)
class Develop:
    """A service's develop section."""
    watch: tuple = ()                    # WatchRule


@record(frozen=True)
class Service:
    """One service of the project, normalised."""
    name: str
    image: str | None = None
    build: Build | None = None
    command: tuple | None = None      # None = image default; () = explicitly empty
    entrypoint: tuple | None = None
    environment: dict = field(default_factory=dict)
    env_file: tuple = ()                 # raw dicts (path, required, format) when not resolved
    ports: tuple = ()                    # Port
    expose: tuple = ()                   # str
    volumes: tuple = ()                  # ServiceVolume
    volumes_from: tuple = ()
    tmpfs: tuple = ()
    networks: dict = field(default_factory=dict)   # name -> ServiceNetwork | None
    network_mode: str | None = None
    depends_on: dict = field(default_factory=dict)  # name -> DependsOn (explicit only)
    links: tuple = ()
    external_links: tuple = ()
    healthcheck: Healthcheck | None = None
    deploy: Deploy | None = None
    logging: Logging | None = None
    ulimits: dict = field(default_factory=dict)    # name -> Ulimit
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    secrets: tuple = ()                  # FileReference
    configs: tuple = ()                  # FileReference
    container_name: str | None = None
    hostname: str | None = None
    domainname: str | None = None
    user: str | None = None
    working_dir: str | None = None
    restart: str | None = None
    stop_signal: str | None = None
    stop_grace_period: float | None = None
    init: bool | None = None
    privileged: bool = False
    read_only: bool = False
    tty: bool = False
    stdin_open: bool = False
    cap_add: tuple = ()
    cap_drop: tuple = ()
    security_opt: tuple = ()
    sysctls: dict = field(default_factory=dict)
    devices: tuple = ()                  # raw dicts (source, target, permissions)
    dns: tuple = ()
    dns_search: tuple = ()
    dns_opt: tuple = ()
    extra_hosts: dict = field(default_factory=dict)  # host -> [ip, ...]
    ipc: str | None = None
    pid: str | None = None
    uts: str | None = None
    cgroup: str | None = None
    cgroup_parent: str | None = None
    userns_mode: str | None = None
    platform: str | None = None
    pull_policy: str | None = None
    profiles: tuple = ()
    mem_limit: int | None = None      # bytes
    mem_reservation: int | None = None
    memswap_limit: int | None = None
    shm_size: int | None = None
    cpus: float | None = None
    cpu_shares: int | None = None
    cpuset: str | None = None
    pids_limit: int | None = None
    oom_score_adj: int | None = None
    group_add: tuple = ()
    mac_address: str | None = None
    runtime: str | None = None
    attach: bool | None = None
    develop: Develop | None = None
    post_start: tuple = ()               # raw hook dicts
    pre_stop: tuple = ()
    raw: dict = field(default_factory=dict)
    scale_value: int | None = None    # the `scale` key (use .scale)
    hash_source: dict = field(default_factory=dict)  # the dict compose.hashing hashes

    @property
    def scale(self) -> int:
        if self.scale_value is not None:
            return self.scale_value
        if self.deploy is not None and self.deploy.replicas is not None:
            return self.deploy.replicas
        return 1

    @property
    def extensions(self) -> dict:
        return {k: v for k, v in self.raw.items() if k.startswith("x-")}

    def dependencies(self) -> dict:
        """Explicit depends_on plus implicit edges, as {service: DependsOn}.

        Implicit: links (restart true), network_mode/ipc/pid/uts/cgroup ``service:X`` (restart
        true), volumes_from ``X`` or ``X:ro`` (restart false, never ``container:``).
        """
        deps = dict(self.depends_on)
        for link in self.links:
            deps.setdefault(link.split(":", 1)[0], DependsOn(restart=True, implicit=True))
        for mode in (self.network_mode, self.ipc, self.pid, self.uts, self.cgroup):
            if mode and mode.startswith("service:"):
                deps.setdefault(mode[len("service:"):], DependsOn(restart=True, implicit=True))
        for vf in self.volumes_from:
            if not vf.startswith("container:"):
                deps.setdefault(vf.split(":", 1)[0], DependsOn(restart=False, implicit=True))
        return deps

    @classmethod
    def from_dict(cls, name: str, d: Mapping) -> "Service":
        from compose.loader.bind import bind_service
        return bind_service(cls, name, d)


@record(frozen=True)
class Ipam:
    """A network's IPAM configuration."""
    driver: str | None = None
    config: tuple = ()                   # raw dicts (subnet, gateway, ip_range, aux_addresses)
    options: dict = field(default_factory=dict)


@record(frozen=True)
class Network:
    """A top-level network."""
    key: str                             # the key under top-level networks:
    name: str                            # the engine name (<project>_<key> or explicit name)
    driver: str | None = None
    driver_opts: dict = field(default_factory=dict)
    ipam: Ipam = field(default_factory=Ipam)
    external: bool = False
    internal: bool = False
    attachable: bool = False
    enable_ipv4: bool | None = None
    enable_ipv6: bool | None = None
    labels: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)


@record(frozen=True)
class Volume:
    """A top-level volume."""
    key: str
    name: str
    driver: str | None = None
    driver_opts: dict = field(default_factory=dict)
    external: bool = False
    labels: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)


@record(frozen=True)
class Secret:
    """A top-level secret."""
    key: str
    name: str
    file: str | None = None           # absolute path
    environment: str | None = None    # variable name whose value is the secret
    content: str | None = None
    external: bool = False
    labels: dict = field(default_factory=dict)
    driver: str | None = None
    driver_opts: dict = field(default_factory=dict)
    template_driver: str | None = None
    raw: dict = field(default_factory=dict)


@record(frozen=True)
class Config(Secret):
    """A top-level config."""
    pass


@record(frozen=True)
class Project:
    """The loaded project: services, networks, volumes, secrets, configs."""
    name: str
    working_dir: str
    config_files: tuple = ()             # absolute paths ("-" for stdin)
    services: dict = field(default_factory=dict)   # name -> Service (active services only)
    networks: dict = field(default_factory=dict)   # key -> Network
    volumes: dict = field(default_factory=dict)    # key -> Volume
    secrets: dict = field(default_factory=dict)    # key -> Secret
    configs: dict = field(default_factory=dict)    # key -> Config
    environment: dict = field(default_factory=dict)  # the interpolation environment used
    profiles: tuple = ()                 # active profiles
    extensions: dict = field(default_factory=dict)   # top-level x-*
    config_dict: dict = field(default_factory=dict)  # canonical dict (what `config` prints)
    disabled_services: dict = field(default_factory=dict)  # name -> Service (profile-disabled)
    env_files: tuple = ()                # the .env files that were read (absolute)

    def service(self, name: str) -> Service:
        return self.services[name]

    @property
    def service_names(self) -> tuple:
        return tuple(self.services)

    def as_dict(self) -> dict:
        from compose.loader.merge import copy_data
        return copy_data(self.config_dict)

    @classmethod
    def from_dict(cls, d: Mapping, **kw: Any) -> "Project":
        from compose.loader.bind import bind_project
        return bind_project(cls, d, **kw)
