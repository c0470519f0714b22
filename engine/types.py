"""Plain data passed across the engine API (the contract between ``compose`` and ``engine``).

Specs go in (what the caller wants), Info objects come out (what the engine observed).
Field names follow the Docker Engine API / Compose spec where one exists. Durations are
seconds (float); sizes are bytes (int). Add fields with defaults; never reorder or rename.
"""
from __future__ import annotations

from engine.records import field, record
from typing import Optional

# --------------------------------------------------------------------------- images


@record(frozen=True)
class ImageConfig:
    """The runnable part of an OCI image config."""

    env: tuple[str, ...] = ()                 # "K=V"
    entrypoint: Optional[tuple[str, ...]] = None
    cmd: Optional[tuple[str, ...]] = None
    working_dir: str = ""
    user: str = ""
    exposed_ports: tuple[str, ...] = ()       # "80/tcp"
    volumes: tuple[str, ...] = ()
    labels: dict = field(default_factory=dict)
    stop_signal: str = ""
    healthcheck: Optional["Healthcheck"] = None
    shell: Optional[tuple[str, ...]] = None
    onbuild: tuple[str, ...] = ()


@record(frozen=True)
class ImageInfo:
    id: str                                   # "sha256:<config digest>"
    repo_tags: tuple[str, ...]                # ("docker.io/library/busybox:latest", ...)
    repo_digests: tuple[str, ...]
    created: str                              # RFC 3339
    size: int
    architecture: str
    os: str
    config: ImageConfig
    layers: tuple[str, ...] = ()              # diff ids
    labels: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- containers


@record(frozen=True)
class Mount:
    type: str                                 # "bind" | "volume" | "tmpfs"
    target: str
    source: str = ""                          # host path (bind) or volume name ("" = anonymous)
    read_only: bool = False
    propagation: str = ""                     # bind: rprivate (default), rslave, rshared, ...
    create_host_path: bool = False            # bind: mkdir -p a missing source
    nocopy: bool = False                      # volume: do not copy image content on first use
    subpath: str = ""                         # volume: mount only this sub path
    tmpfs_size: Optional[int] = None          # tmpfs: bytes
    tmpfs_mode: Optional[int] = None          # tmpfs: octal mode
    selinux: str = ""                         # "z" | "Z" (accepted, no effect without SELinux)


@record(frozen=True)
class PortBinding:
    container_port: int
    protocol: str = "tcp"                     # "tcp" | "udp" | "sctp"
    host_ip: str = ""                         # "" = all addresses
    host_port: Optional[int] = None           # None / 0 = pick a free port
    host_port_end: Optional[int] = None       # "8000-8010:80": the first free port of
                                              # host_port..host_port_end (like Docker)


@record(frozen=True)
class EndpointSpec:
    """How a container joins one network."""

    aliases: tuple[str, ...] = ()
    ipv4_address: str = ""
    ipv6_address: str = ""
    mac_address: str = ""
    priority: int = 0
    gw_priority: int = 0
    driver_opts: dict = field(default_factory=dict)


@record(frozen=True)
class Healthcheck:
    test: tuple[str, ...] = ()                # ("CMD", ...) | ("CMD-SHELL", "...") | ("NONE",)
    interval: float = 30.0
    timeout: float = 30.0
    retries: int = 3
    start_period: float = 0.0
    start_interval: float = 5.0
    disable: bool = False


@record(frozen=True)
class RestartPolicy:
    name: str = "no"                          # "no" | "always" | "on-failure" | "unless-stopped"
    max_retries: int = 0


@record(frozen=True)
class Ulimit:
    name: str                                 # "nofile", "nproc", ...
    soft: int
    hard: int


@record(frozen=True)
class DeviceMapping:
    host_path: str
    container_path: str
    permissions: str = "rwm"


@record(frozen=True)
class Resources:
    memory: Optional[int] = None              # mem_limit
    memory_swap: Optional[int] = None         # memswap_limit (-1 = unlimited)
    memory_reservation: Optional[int] = None
    memory_swappiness: Optional[int] = None
    nano_cpus: Optional[int] = None           # cpus * 1e9
    cpu_shares: Optional[int] = None
    cpu_quota: Optional[int] = None
    cpu_period: Optional[int] = None
    cpuset_cpus: str = ""
    cpuset_mems: str = ""
    pids_limit: Optional[int] = None
    shm_size: Optional[int] = None            # default 64 MiB
    oom_kill_disable: bool = False
    oom_score_adj: int = 0
    blkio_weight: Optional[int] = None
    device_cgroup_rules: tuple[str, ...] = ()


@record(frozen=True)
class LogConfig:
    driver: str = "json-file"                 # "json-file" | "local" | "none"
    options: dict = field(default_factory=dict)  # max-size, max-file, ...


@record(frozen=True)
class ContainerSpec:
    """Everything needed to create a container (Docker's Config + HostConfig + NetworkingConfig)."""

    image: str                                # reference or image id
    name: str = ""                            # "" = generated
    command: Optional[tuple[str, ...]] = None  # None = image CMD
    entrypoint: Optional[tuple[str, ...]] = None  # None = image ENTRYPOINT, () = none
    env: dict = field(default_factory=dict)   # merged over image ENV
    working_dir: str = ""
    user: str = ""
    group_add: tuple[str, ...] = ()
    hostname: str = ""
    domainname: str = ""
    labels: dict = field(default_factory=dict)
    tty: bool = False
    stdin_open: bool = False
    init: bool = False
    privileged: bool = False
    read_only: bool = False
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()
    sysctls: dict = field(default_factory=dict)
    ulimits: tuple[Ulimit, ...] = ()
    resources: Resources = field(default_factory=Resources)
    devices: tuple[DeviceMapping, ...] = ()
    mounts: tuple[Mount, ...] = ()
    volumes_from: tuple[str, ...] = ()        # "<container>[:ro|:rw]"
    tmpfs: dict = field(default_factory=dict)  # target -> options string
    network_mode: str = "bridge"              # "bridge"|"none"|"host"|"container:<id>"|<network name>
    networks: dict = field(default_factory=dict)  # network name -> EndpointSpec
    ports: tuple[PortBinding, ...] = ()
    expose: tuple[str, ...] = ()
    extra_hosts: tuple[str, ...] = ()         # "name:ip" / "name=ip"
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_opt: tuple[str, ...] = ()
    ipc_mode: str = ""                        # "" (private) | "host" | "shareable" | "container:<id>"
    pid_mode: str = ""                        # "" | "host" | "container:<id>"
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)
    healthcheck: Optional[Healthcheck] = None  # None = image's HEALTHCHECK
    stop_signal: str = ""                     # "" = image STOPSIGNAL or SIGTERM
    stop_timeout: Optional[float] = None      # None = 10 s
    log_config: LogConfig = field(default_factory=LogConfig)
    platform: str = ""
    annotations: dict = field(default_factory=dict)


@record(frozen=True)
class HealthState:
    status: str = ""                          # "" (none) | "starting" | "healthy" | "unhealthy"
    failing_streak: int = 0
    log: tuple[dict, ...] = ()                # {"Start","End","ExitCode","Output"}


@record(frozen=True)
class ContainerState:
    status: str                               # created|running|paused|restarting|exited|dead|removing
    running: bool = False
    paused: bool = False
    restarting: bool = False
    oom_killed: bool = False
    dead: bool = False
    pid: int = 0
    exit_code: int = 0
    error: str = ""
    started_at: str = ""
    finished_at: str = ""
    health: Optional[HealthState] = None
    restart_count: int = 0


@record(frozen=True)
class ContainerInfo:
    id: str                                   # 64 hex
    name: str
    image: str                                # the reference given at create
    image_id: str                             # "sha256:..."
    created: str
    state: ContainerState
    spec: ContainerSpec
    labels: dict = field(default_factory=dict)
    ports: tuple[PortBinding, ...] = ()       # actual bindings (host ports resolved)
    networks: dict = field(default_factory=dict)  # name -> {"IPAddress","Gateway","MacAddress","Aliases","NetworkID"}
    mounts: tuple[Mount, ...] = ()            # resolved (anonymous volumes named)

    @property
    def short_id(self) -> str:
        return self.id[:12]


@record(frozen=True)
class ExecSpec:
    cmd: tuple[str, ...]
    env: dict = field(default_factory=dict)
    user: str = ""
    working_dir: str = ""
    tty: bool = False
    stdin: bool = False
    privileged: bool = False
    detach: bool = False


# --------------------------------------------------------------------------- networks & volumes


@record(frozen=True)
class IPAMPool:
    subnet: str = ""
    ip_range: str = ""
    gateway: str = ""
    aux_addresses: dict = field(default_factory=dict)


@record(frozen=True)
class NetworkSpec:
    name: str
    driver: str = "bridge"
    internal: bool = False
    attachable: bool = False
    enable_ipv6: bool = False
    ipam_driver: str = "default"
    ipam: tuple[IPAMPool, ...] = ()
    driver_opts: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)


@record(frozen=True)
class NetworkInfo:
    id: str
    name: str
    driver: str
    internal: bool
    subnets: tuple[IPAMPool, ...]
    labels: dict
    created: str
    containers: dict = field(default_factory=dict)  # container id -> {"Name","IPv4Address","MacAddress"}
    bridge: str = ""                          # Linux bridge device name
    spec: Optional[NetworkSpec] = None


@record(frozen=True)
class VolumeSpec:
    name: str = ""                            # "" = anonymous (random 64-hex name)
    driver: str = "local"
    driver_opts: dict = field(default_factory=dict)  # type / o / device
    labels: dict = field(default_factory=dict)


@record(frozen=True)
class VolumeInfo:
    name: str
    driver: str
    mountpoint: str
    labels: dict
    options: dict
    created: str
    anonymous: bool = False


# --------------------------------------------------------------------------- cross-service


@record(frozen=True)
class RootfsMount:
    """How to mount a container's (or a build step's) root filesystem.

    Made by ImageService.prepare_rootfs(image_id, key); mounted by the runtime.
    """

    type: str                                 # "overlay" | "bind" (copy fallback: plain dir)
    lowerdirs: tuple[str, ...] = ()           # overlay: top-most layer first
    upperdir: str = ""
    workdir: str = ""
    source: str = ""                          # bind: the directory to use as /


@record(frozen=True)
class Sandbox:
    """A container's network sandbox, made by NetworkService.setup_sandbox() at start."""

    netns_path: str = ""                      # "" = stay in the host network namespace
    hosts: str = ""                           # full text for /etc/hosts
    resolv_conf: str = ""                     # full text for /etc/resolv.conf
    hostname: str = ""
    endpoints: dict = field(default_factory=dict)  # network -> {"IPAddress","IPPrefixLen","Gateway","MacAddress","Aliases","NetworkID"}
    ports: tuple[PortBinding, ...] = ()       # published ports with host ports resolved


# --------------------------------------------------------------------------- build


@record(frozen=True)
class BuildSpec:
    """One image build (``docker build``); see engine/build/service.py."""

    context: str = "."                        # directory
    dockerfile: str = ""                      # path (relative to context) or "" = Dockerfile
    dockerfile_inline: Optional[str] = None   # Dockerfile text (wins over dockerfile)
    tags: tuple[str, ...] = ()
    build_args: dict = field(default_factory=dict)   # name -> value (None = from environment)
    target: str = ""
    labels: dict = field(default_factory=dict)
    no_cache: bool = False
    pull: bool = False
    network: str = ""                         # "" / "default" / "host" / "none" for RUN
    extra_hosts: tuple[str, ...] = ()         # "name:ip" / "name=ip"
    shm_size: Optional[int] = None
    additional_contexts: dict = field(default_factory=dict)  # name -> dir | docker-image://ref
    cache_from: tuple[str, ...] = ()
    platform: str = ""
    secrets: dict = field(default_factory=dict)      # id -> host file path
    ssh: dict = field(default_factory=dict)          # id -> agent socket ("" = $SSH_AUTH_SOCK)
