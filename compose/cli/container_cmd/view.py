"""Rendering containers like the docker CLI: ps table, status text, inspect JSON, --format."""
from __future__ import annotations

import json
import re
import time
from datetime import datetime

from compose.cli.units import human_duration


def _epoch(ts: str) -> float:
    if not ts:
        return 0.0
    from engine.runtime.logfile import parse_time
    try:
        return parse_time(ts)
    except ValueError:
        return 0.0


def status_text(info, now: float | None = None) -> str:
    now = now or time.time()
    st = info.state
    if st.status in ("running", "paused"):
        text = "Up " + human_duration(now - _epoch(st.started_at))
        if st.paused:
            text += " (Paused)"
        elif st.health is not None and st.health.status:
            text += f" ({'health: starting' if st.health.status == 'starting' else st.health.status})"
        return text
    if st.status == "restarting":
        return f"Restarting ({st.exit_code}) {human_duration(now - _epoch(st.finished_at))} ago"
    if st.status == "exited":
        return f"Exited ({st.exit_code}) {human_duration(now - _epoch(st.finished_at))} ago"
    return st.status.capitalize()


def command_text(info) -> str:
    argv = list(info.spec.entrypoint or ()) + list(info.spec.command or ())
    text = " ".join(argv) if argv else ""
    text = json.dumps(text) if text else '""'
    return text if len(text) <= 22 else text[:19] + '…"'


def _inspect_ports(ports) -> dict:
    """NetworkSettings.Ports: every host address of a container port (0.0.0.0 and ::)."""
    out: dict = {}
    for p in ports:
        out.setdefault(f"{p.container_port}/{p.protocol}", []).append(
            {"HostIp": p.host_ip or "0.0.0.0", "HostPort": str(p.host_port or "")})
    return out


def _port_bindings(ports) -> dict:
    """HostConfig.PortBindings: the -p / ports as asked (HostPort "" = random, "A-B" = range)."""
    out: dict = {}
    for p in ports:
        host = str(p.host_port or "") + (f"-{p.host_port_end}" if p.host_port_end else "")
        out.setdefault(f"{p.container_port}/{p.protocol}", []).append(
            {"HostIp": p.host_ip, "HostPort": host})
    return out


def ports_text(info) -> str:
    out = []
    for p in info.ports:
        if p.host_port:
            ip = p.host_ip or "0.0.0.0"
            ip = f"[{ip}]" if ":" in ip else ip                     # [::]:8080->80/tcp
            out.append(f"{ip}:{p.host_port}->{p.container_port}/{p.protocol}")
        else:
            out.append(f"{p.container_port}/{p.protocol}")
    return ", ".join(out)


def table(rows: list[list[str]], headers: list[str], min_width: int = 0) -> str:
    """Columns separated by 3 spaces (docker's tabwriter; ``min_width`` = its minwidth - 3)."""
    widths = [max(len(h), min_width) for h in headers]
    for r in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, r)]
    lines = []
    for r in [headers] + rows:
        cells = [c.ljust(w) for c, w in zip(r, widths)]
        lines.append("   ".join(cells).rstrip())
    return "\n".join(lines)


def ps_row(info, no_trunc: bool = False) -> dict:
    created = datetime.fromisoformat(info.created.replace("Z", "+00:00")).timestamp()
    return {"ID": info.id if no_trunc else info.id[:12], "Image": info.image,
            "Command": command_text(info),
            "CreatedAt": info.created, "RunningFor": human_duration(time.time() - created) + " ago",
            "Status": status_text(info), "State": info.state.status,
            "Ports": ports_text(info), "Names": info.name,
            "Labels": ",".join(f"{k}={v}" for k, v in sorted(info.labels.items()))}


PS_HEADERS = ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
PS_KEYS = ["ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names"]


def inspect_doc(info) -> dict:
    """A docker-inspect-shaped document."""
    spec, st = info.spec, info.state
    health = None
    if st.health is not None:
        health = {"Status": st.health.status, "FailingStreak": st.health.failing_streak,
                  "Log": list(st.health.log)}
    argv_ep = list(spec.entrypoint or ())
    return {
        "Id": info.id, "Created": info.created,
        "Path": (argv_ep + list(spec.command or ()) or [""])[0],
        "Args": (argv_ep + list(spec.command or ()))[1:],
        "State": {"Status": st.status, "Running": st.running, "Paused": st.paused,
                  "Restarting": st.restarting, "OOMKilled": st.oom_killed, "Dead": st.dead,
                  "Pid": st.pid, "ExitCode": st.exit_code, "Error": st.error,
                  "StartedAt": st.started_at or "0001-01-01T00:00:00Z",
                  "FinishedAt": st.finished_at or "0001-01-01T00:00:00Z",
                  **({"Health": health} if health else {})},
        "Image": info.image_id, "Name": "/" + info.name, "RestartCount": st.restart_count,
        "HostConfig": {
            "NetworkMode": spec.network_mode, "PortBindings": _port_bindings(spec.ports),
            "Privileged": spec.privileged,
            "ReadonlyRootfs": spec.read_only, "CapAdd": list(spec.cap_add),
            "CapDrop": list(spec.cap_drop), "SecurityOpt": list(spec.security_opt),
            "Init": spec.init, "Memory": spec.resources.memory or 0,
            "MemorySwap": spec.resources.memory_swap or 0,
            "NanoCpus": spec.resources.nano_cpus or 0,
            "PidsLimit": spec.resources.pids_limit, "ShmSize": spec.resources.shm_size or 67108864,
            "RestartPolicy": {"Name": spec.restart_policy.name,
                              "MaximumRetryCount": spec.restart_policy.max_retries},
            "LogConfig": {"Type": spec.log_config.driver, "Config": dict(spec.log_config.options)},
        },
        "Config": {"Hostname": spec.hostname or info.id[:12], "Domainname": spec.domainname,
                   "User": spec.user, "Tty": spec.tty, "OpenStdin": spec.stdin_open,
                   "Env": [f"{k}={v}" for k, v in spec.env.items()],
                   "Cmd": list(spec.command) if spec.command is not None else None,
                   "Entrypoint": list(spec.entrypoint) if spec.entrypoint is not None else None,
                   "Image": info.image, "WorkingDir": spec.working_dir,
                   "Labels": dict(info.labels), "StopSignal": spec.stop_signal},
        "NetworkSettings": {
            "Ports": _inspect_ports(info.ports),
            "Networks": dict(info.networks)},
        "Mounts": [{"Type": m.type, "Source": m.source, "Destination": m.target,
                    "RW": not m.read_only} for m in info.mounts],
    }


def render_format(fmt: str, obj) -> str:
    """A small subset of Go templates: {{.A.B}}, {{json .A}}, {{json .}} and literal text."""
    if fmt == "json":
        return json.dumps(obj, separators=(",", ":"))

    def value(path: str):
        cur = obj
        for part in [p for p in path.split(".") if p]:
            cur = cur.get(part) if isinstance(cur, dict) else None
        return cur

    def repl(m):
        expr = m.group(1).strip()
        if expr.startswith("json "):
            return json.dumps(value(expr[5:].strip()), separators=(",", ":"))
        v = value(expr)
        if isinstance(v, bool):
            return "true" if v else "false"
        if v is None:
            return "<no value>"
        if isinstance(v, (dict, list)):
            return json.dumps(v, separators=(",", ":"))
        return str(v)

    text = re.sub(r"\{\{(.*?)\}\}", repl, fmt)
    return text.replace("\\t", "\t").replace("\\n", "\n")
