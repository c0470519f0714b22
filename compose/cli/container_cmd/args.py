"""docker-style argument parsing for `container create` / `container run` -> ContainerSpec.

argparse (not typer) because docker's grammar is "OPTIONS IMAGE [COMMAND] [ARG...]" where
everything after the image belongs to the command, and because -h means --hostname.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex

from compose.errors import UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}\nSee '{self.prog} --help'.")


SIZE_UNITS = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_bytes(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?\s*", str(text).lower())
    if not m:
        raise UsageError(f"invalid size: {text!r}")
    return int(float(m.group(1)) * SIZE_UNITS[m.group(2) or "b"])


def parse_duration(text: str) -> float:
    total, pos = 0.0, 0
    for m in re.finditer(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6}[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        if re.fullmatch(r"\d+(\.\d+)?", text or ""):
            return float(text)
        raise UsageError(f"invalid duration: {text!r}")
    return total


def build_parser(prog: str, run: bool) -> argparse.ArgumentParser:
    p = _Parser(prog=prog, add_help=False,
                usage=f"{prog} [OPTIONS] IMAGE [COMMAND] [ARG...]")
    a = p.add_argument
    a("--help", action="help", help="Print usage")
    if run:
        a("-d", "--detach", action="store_true", help="Run container in background and print container ID")
        a("--rm", action="store_true", help="Automatically remove the container when it exits")
    a("--name", default="", help="Assign a name to the container")
    a("-e", "--env", action="append", default=[], help="Set environment variables")
    a("--env-file", action="append", default=[], help="Read in a file of environment variables")
    a("-l", "--label", action="append", default=[], help="Set meta data on a container")
    a("-u", "--user", default="", help="Username or UID (format: <name|uid>[:<group|gid>])")
    a("-w", "--workdir", default="", help="Working directory inside the container")
    a("--entrypoint", default=None, help="Overwrite the default ENTRYPOINT of the image")
    a("-h", "--hostname", default="", help="Container host name")
    a("--domainname", default="", help="Container NIS domain name")
    a("-i", "--interactive", action="store_true", help="Keep STDIN open even if not attached")
    a("-t", "--tty", action="store_true", help="Allocate a pseudo-TTY")
    a("--init", action="store_true", help="Run an init inside the container that forwards signals and reaps processes")
    a("--privileged", action="store_true", help="Give extended privileges to this container")
    a("--read-only", action="store_true", help="Mount the container's root filesystem as read only")
    a("--cap-add", action="append", default=[], help="Add Linux capabilities")
    a("--cap-drop", action="append", default=[], help="Drop Linux capabilities")
    a("--security-opt", action="append", default=[], help="Security Options")
    a("--sysctl", action="append", default=[], help="Sysctl options")
    a("--ulimit", action="append", default=[], help="Ulimit options")
    _resource_options(a)
    _network_and_lifecycle_options(a)
    a("image", help="Image")
    a("command", nargs=argparse.REMAINDER, help="Command and arguments")
    return p


def _resource_options(a) -> None:
    a("-m", "--memory", default=None, help="Memory limit")
    a("--memory-swap", default=None, help="Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
    a("--memory-reservation", default=None, help="Memory soft limit")
    a("--memory-swappiness", type=int, default=None, help="Tune container memory swappiness (0 to 100)")
    a("--oom-kill-disable", action="store_true", help="Disable OOM Killer")
    a("--oom-score-adj", type=int, default=0, help="Tune host's OOM preferences (-1000 to 1000)")
    a("--cpus", default=None, help="Number of CPUs")
    a("-c", "--cpu-shares", type=int, default=None, help="CPU shares (relative weight)")
    a("--cpu-quota", type=int, default=None, help="Limit CPU CFS (Completely Fair Scheduler) quota")
    a("--cpu-period", type=int, default=None, help="Limit CPU CFS (Completely Fair Scheduler) period")
    a("--cpuset-cpus", default="", help="CPUs in which to allow execution (0-3, 0,1)")
    a("--cpuset-mems", default="", help="MEMs in which to allow execution (0-3, 0,1)")
    a("--pids-limit", type=int, default=None, help="Tune container pids limit (set -1 for unlimited)")
    a("--shm-size", default=None, help="Size of /dev/shm")
    a("--device", action="append", default=[], help="Add a host device to the container")
    a("--device-cgroup-rule", action="append", default=[], help="Add a rule to the cgroup allowed devices list")



def _network_and_lifecycle_options(a) -> None:
    a("-v", "--volume", action="append", default=[], help="Bind mount a volume")
    a("--mount", action="append", default=[], help="Attach a filesystem mount to the container")
    a("--tmpfs", action="append", default=[], help="Mount a tmpfs directory")
    a("--network", "--net", default="bridge", help="Connect a container to a network")
    a("--network-alias", action="append", default=[], help="Add network-scoped alias for the container")
    a("-p", "--publish", action="append", default=[], help="Publish a container's port(s) to the host")
    a("--expose", action="append", default=[], help="Expose a port or a range of ports")
    a("--add-host", action="append", default=[], help="Add a custom host-to-IP mapping (host:ip)")
    a("--dns", action="append", default=[], help="Set custom DNS servers")
    a("--dns-search", action="append", default=[], help="Set custom DNS search domains")
    a("--dns-option", action="append", default=[], help="Set DNS options")
    a("--ipc", default="", help="IPC mode to use")
    a("--pid", default="", help="PID namespace to use")
    a("--group-add", action="append", default=[], help="Add additional groups to join")
    a("--restart", default="no", help="Restart policy to apply when a container exits")
    a("--health-cmd", default=None, help="Command to run to check health")
    a("--health-interval", default=None, help="Time between running the check (ms|s|m|h)")
    a("--health-timeout", default=None, help="Maximum time to allow one check to run (ms|s|m|h)")
    a("--health-retries", type=int, default=None, help="Consecutive failures needed to report unhealthy")
    a("--health-start-period", default=None, help="Start period for the container to initialize")
    a("--health-start-interval", default=None, help="Time between running the check during the start period")
    a("--no-healthcheck", action="store_true", help="Disable any container-specified HEALTHCHECK")
    a("--stop-signal", default="", help="Signal to stop the container")
    a("--stop-timeout", type=int, default=None, help="Timeout (in seconds) to stop a container")
    a("--log-driver", default="json-file", help="Logging driver for the container")
    a("--log-opt", action="append", default=[], help="Log driver options")
    a("--platform", default="", help="Set platform if server is multi-platform capable")


def _kv_list(items, what: str) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key:
            raise UsageError(f"invalid {what}: {item!r}")
        out[key] = value if sep else (os.environ.get(key) if what == "env" else "")
    return out


def _env(ns) -> dict:
    env = {}
    for path in ns.env_file:
        try:
            with open(path) as f:
                lines = [ln.strip() for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
        except OSError as e:
            raise UsageError(f"open {path}: {e.strerror}") from None
        env.update(_kv_list(lines, "env"))
    env.update(_kv_list(ns.env, "env"))
    return {k: v for k, v in env.items() if v is not None}


def parse_volume(text: str):
    from engine.types import Mount
    parts = text.split(":")
    if len(parts) == 1:
        return Mount(type="volume", target=parts[0])
    source, target, *rest = parts
    opts = rest[0].split(",") if rest else []
    ro = "ro" in opts
    prop = next((o for o in opts if o in ("private", "rprivate", "slave", "rslave", "shared", "rshared")), "")
    if source.startswith("/") or source.startswith("."):
        return Mount(type="bind", source=os.path.abspath(source), target=target, read_only=ro,
                     propagation=prop, create_host_path=True)
    return Mount(type="volume", source=source, target=target, read_only=ro,
                 nocopy="nocopy" in opts)


def parse_mount(text: str):
    from engine.types import Mount
    fields = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        fields[key.strip()] = value if sep else "true"
    kind = fields.get("type", "volume")
    target = fields.get("target") or fields.get("destination") or fields.get("dst")
    if not target:
        raise UsageError(f"invalid --mount {text!r}: target is required")
    ro = fields.get("readonly", fields.get("ro", "false")) in ("true", "1", "")
    source = fields.get("source") or fields.get("src") or ""
    if kind == "bind":
        source = os.path.abspath(source)
    return Mount(type=kind, target=target, source=source, read_only=ro,
                 propagation=fields.get("bind-propagation", ""),
                 nocopy=fields.get("volume-nocopy", "false") == "true",
                 subpath=fields.get("volume-subpath", ""),
                 tmpfs_size=parse_bytes(fields["tmpfs-size"]) if "tmpfs-size" in fields else None,
                 tmpfs_mode=int(fields["tmpfs-mode"], 8) if "tmpfs-mode" in fields else None)


def parse_publish(text: str) -> list:
    """``-p`` as ``docker run`` parses it (go-connections nat.ParsePortSpec): one PortBinding
    per container port of ``[ip:][hostPort[-end]:]containerPort[-end][/proto]``. Equal-length
    ranges pair up (``8000-8001:80-81``); a host range for one container port binds its first
    free port; ``80-81`` publishes each on a random host port. Errors carry Docker's text."""
    from engine.types import PortBinding
    ip, host, container = _split_publish(text)
    container, _, proto = container.partition("/")
    proto = (proto.split("/")[0] or "tcp") if _ else "tcp"
    ip = _publish_ip(ip)
    if container == "":
        raise UsageError(f"no port specified: {text}<empty>")
    c_start, c_end = _port_range(container, f"invalid containerPort: {container}")
    h_start = h_end = None
    if host:
        h_start, h_end = _port_range(host, f"invalid hostPort: {host}")
        if h_end - h_start != c_end - c_start and c_end != c_start:
            raise UsageError(f"invalid ranges specified for container and host Ports: "
                             f"{container} and {host}")
    if proto.lower() not in ("tcp", "udp", "sctp"):
        raise UsageError(f"invalid proto: {proto}")
    out = []
    for i in range(c_end - c_start + 1):
        if h_start is None:
            hp = end = None
        elif c_start == c_end:
            hp, end = h_start, (h_end if h_end != h_start else None)
        else:
            hp, end = h_start + i, None
        out.append(PortBinding(container_port=c_start + i, protocol=proto.lower(), host_ip=ip,
                               host_port=hp, host_port_end=end))
    return out


def _split_publish(text: str) -> tuple[str, str, str]:
    parts = text.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def _publish_ip(ip: str) -> str:
    import ipaddress
    if ip.startswith("["):
        if not ip.endswith("]"):
            raise UsageError(f"invalid IP address {ip}: address {ip}:: missing ']' in address")
        ip = ip[1:-1]
    if ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise UsageError(f"invalid IP address: {ip}") from None
    return ip


def _port_range(text: str, error: str) -> tuple[int, int]:
    first, dash, last = text.partition("-")
    if not (first.isdigit() and (not dash or last.isdigit())):
        raise UsageError(error)
    start, end = int(first), int(last) if dash else int(first)
    if start > 65535 or end > 65535 or end < start:
        raise UsageError(error)
    return start, end


def parse_ulimit(text: str):
    from engine.types import Ulimit
    name, _, values = text.partition("=")
    soft, _, hard = values.partition(":")
    try:
        return Ulimit(name=name, soft=int(soft), hard=int(hard or soft))
    except ValueError:
        raise UsageError(f"invalid ulimit argument: {text!r}") from None


def parse_restart(text: str):
    from engine.types import RestartPolicy
    name, _, count = text.partition(":")
    try:
        return RestartPolicy(name=name, max_retries=int(count) if count else 0)
    except ValueError:
        raise UsageError(f"invalid restart policy: {text!r}") from None


def _resources(ns):
    from engine.types import Resources
    cpus = None
    if ns.cpus is not None:
        try:
            cpus = int(round(float(ns.cpus) * 1e9))
        except ValueError:
            raise UsageError(f"invalid argument {ns.cpus!r} for \"--cpus\"") from None
    swap = None
    if ns.memory_swap is not None:
        swap = -1 if ns.memory_swap == "-1" else parse_bytes(ns.memory_swap)
    return Resources(
        memory=parse_bytes(ns.memory) if ns.memory else None, memory_swap=swap,
        memory_reservation=parse_bytes(ns.memory_reservation) if ns.memory_reservation else None,
        memory_swappiness=ns.memory_swappiness, nano_cpus=cpus, cpu_shares=ns.cpu_shares,
        cpu_quota=ns.cpu_quota, cpu_period=ns.cpu_period, cpuset_cpus=ns.cpuset_cpus,
        cpuset_mems=ns.cpuset_mems, pids_limit=ns.pids_limit,
        shm_size=parse_bytes(ns.shm_size) if ns.shm_size else None,
        oom_kill_disable=ns.oom_kill_disable, oom_score_adj=ns.oom_score_adj,
        device_cgroup_rules=tuple(ns.device_cgroup_rule))


def _healthcheck(ns):
    from engine.types import Healthcheck
    if ns.no_healthcheck:
        return Healthcheck(test=("NONE",))
    if ns.health_cmd is None and all(v is None for v in (ns.health_interval, ns.health_timeout,
                                                         ns.health_retries, ns.health_start_period)):
        return None
    test = ("CMD-SHELL", ns.health_cmd) if ns.health_cmd else ()
    dur = lambda v: parse_duration(v) if v else 0.0  # noqa: E731
    return Healthcheck(test=test, interval=dur(ns.health_interval), timeout=dur(ns.health_timeout),
                       retries=ns.health_retries or 0, start_period=dur(ns.health_start_period),
                       start_interval=dur(ns.health_start_interval))


def _devices(items):
    from engine.types import DeviceMapping
    out = []
    for item in items:
        parts = item.split(":")
        host = parts[0]
        cont = parts[1] if len(parts) > 1 and parts[1].startswith("/") else host
        perms = parts[-1] if len(parts) > 1 and not parts[-1].startswith("/") else "rwm"
        out.append(DeviceMapping(host_path=host, container_path=cont, permissions=perms))
    return tuple(out)


def to_spec(ns):
    from engine.types import ContainerSpec, EndpointSpec, LogConfig
    entrypoint = None
    if ns.entrypoint is not None:
        entrypoint = tuple(shlex.split(ns.entrypoint)) if ns.entrypoint else ()
    networks = {}
    if ns.network_alias and ns.network not in ("bridge", "host", "none"):
        networks[ns.network] = EndpointSpec(aliases=tuple(ns.network_alias))
    return ContainerSpec(
        image=ns.image, name=ns.name, command=tuple(ns.command) if ns.command else None,
        entrypoint=entrypoint, env=_env(ns), working_dir=ns.workdir, user=ns.user,
        group_add=tuple(ns.group_add), hostname=ns.hostname, domainname=ns.domainname,
        labels=_kv_list(ns.label, "label"), tty=ns.tty, stdin_open=ns.interactive,
        init=ns.init, privileged=ns.privileged, read_only=ns.read_only,
        cap_add=tuple(ns.cap_add), cap_drop=tuple(ns.cap_drop),
        security_opt=tuple(ns.security_opt), sysctls=_kv_list(ns.sysctl, "sysctl"),
        ulimits=tuple(parse_ulimit(u) for u in ns.ulimit), resources=_resources(ns),
        devices=_devices(ns.device),
        mounts=tuple(parse_volume(v) for v in ns.volume) + tuple(parse_mount(m) for m in ns.mount),
        tmpfs={t.partition(":")[0]: t.partition(":")[2] for t in ns.tmpfs},
        network_mode=ns.network, networks=networks,
        ports=tuple(b for p in ns.publish for b in parse_publish(p)), expose=tuple(ns.expose),
        extra_hosts=tuple(ns.add_host), dns=tuple(ns.dns), dns_search=tuple(ns.dns_search),
        dns_opt=tuple(ns.dns_option), ipc_mode=ns.ipc, pid_mode=ns.pid,
        restart_policy=parse_restart(ns.restart), healthcheck=_healthcheck(ns),
        stop_signal=ns.stop_signal,
        stop_timeout=float(ns.stop_timeout) if ns.stop_timeout is not None else None,
        log_config=LogConfig(driver=ns.log_driver, options=_kv_list(ns.log_opt, "log-opt")),
        platform=ns.platform)
