"""Read-only project verbs: ps, ls, images, top, port, logs, version."""
from __future__ import annotations

import sys
from typing import List, Optional

from compose.cli.ty import typer

from compose.errors import ComposeError, UsageError

from . import project_common as pc


def _ago(stamp: str) -> str:
    from datetime import datetime, timezone
    try:
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return ""
    secs = max(0, int((datetime.now(timezone.utc) - then).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if secs >= size:
            n = secs // size
            return f"{n} {unit}{'s' if n > 1 else ''}"
    return f"{secs} second{'s' if secs != 1 else ''}" if secs else "Less than a second"


def status_text(c) -> str:
    st = c.state
    if st.paused:
        return f"Up {_ago(st.started_at)} (Paused)"
    if st.running:
        health = f" ({st.health.status})" if st.health and st.health.status else ""
        return f"Up {_ago(st.started_at)}{health}".replace("Up  ", "Up ")
    if st.status == "created":
        return "Created"
    if st.status == "restarting":
        return f"Restarting ({st.exit_code})"
    return f"Exited ({st.exit_code}) {_ago(st.finished_at)} ago".replace("  ", " ")


def ports_text(c) -> str:
    out = []
    for p in c.ports:
        if p.host_port:
            ip = p.host_ip or "0.0.0.0"
            ip = f"[{ip}]" if ":" in ip else ip                     # [::]:8080->80/tcp
            out.append(f"{ip}:{p.host_port}->{p.container_port}/{p.protocol}")
        else:
            out.append(f"{p.container_port}/{p.protocol}")
    return ", ".join(out)


def command_text(c, trunc: bool = True, image=None) -> str:
    """The container's command line; image defaults fill in what the spec left unset."""
    spec = c.spec
    config = getattr(image, "config", None)
    entry = spec.entrypoint if spec and spec.entrypoint is not None else getattr(config, "entrypoint", None)
    cmd = spec.command if spec and spec.command is not None else getattr(config, "cmd", None)
    text = " ".join(list(entry or ()) + list(cmd or ()))
    if trunc and len(text) > 20:
        text = text[:19] + "…"
    return f'"{text}"'


def table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)] if rows else [len(h) for h in headers]
    lines = []
    for row in [headers] + rows:
        lines.append("   ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    return "\n".join(lines) + "\n"


def _created_at(stamp: str) -> str:
    """Docker's CreatedAt: ``2026-01-02 03:04:05 +0000 UTC``."""
    from datetime import datetime, timezone
    try:
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(timezone.utc)
    except (ValueError, AttributeError):
        return stamp
    return then.strftime("%Y-%m-%d %H:%M:%S +0000 UTC")


def ps_json(c, no_trunc: bool = False) -> dict:
    """One row of ``ps --format json`` (and the fields of a ``--format`` template): ID and
    Command truncated unless --no-trunc, like Docker Compose."""
    from compose import labels as L
    return {"Command": command_text(c, not no_trunc), "CreatedAt": _created_at(c.created),
            "ExitCode": c.state.exit_code,
            "Health": c.state.health.status if c.state.health else "",
            "ID": c.id if no_trunc else c.id[:12], "Image": c.image,
            "Labels": ",".join(f"{k}={v}" for k, v in sorted(c.labels.items())),
            "Name": c.name, "Names": c.name, "Networks": ",".join(sorted(c.networks or {})),
            "Ports": ports_text(c),
            "Project": c.labels.get(L.PROJECT, ""), "Publishers": [
                {"URL": p.host_ip or "0.0.0.0", "TargetPort": p.container_port,
                 "PublishedPort": p.host_port or 0, "Protocol": p.protocol} for p in c.ports],
            "RunningFor": _ago(c.created) + " ago", "Service": c.labels.get(L.SERVICE, ""),
            "Size": "0B", "State": c.state.status, "Status": status_text(c),
            **_mounts_fields(c, no_trunc)}


def _mounts_fields(c, no_trunc: bool) -> dict:
    """Mounts (volume names or bind sources, 15 characters unless --no-trunc) and
    LocalVolumes (how many are volumes), as Docker's container list shows them."""
    names, volumes = [], 0
    for m in c.mounts or ():
        if m.type not in ("volume", "bind"):
            continue
        volumes += m.type == "volume"
        name = m.source
        names.append(name if no_trunc or len(name) <= 15 else name[:14] + "…")
    return {"LocalVolumes": str(volumes), "Mounts": ",".join(names)}


def ps(ctx: typer.Context, services: Optional[List[str]] = typer.Argument(None, metavar="SERVICE"),
       all_: bool = typer.Option(False, "-a", "--all", help="Show all stopped containers (including those created by the run command)"),
       quiet: bool = typer.Option(False, "-q", "--quiet", help="Only display IDs"),
       show_services: bool = typer.Option(False, "--services", help="Display services"),
       status: Optional[List[str]] = typer.Option(None, "--status", help="Filter services by status"),
       filter_: Optional[str] = typer.Option(None, "--filter", help="Filter services by a property (status=...)"),
       fmt: str = typer.Option("table", "--format", help="Format output: table, json, or a Go template"),
       no_trunc: bool = typer.Option(False, "--no-trunc", help="Don't truncate output"),
       orphans: bool = typer.Option(True, "--orphans/--no-orphans", help="Include orphaned services")) -> None:
    from compose import labels as L
    project, name = pc.load_project_or_name(ctx)
    pc.check_services(project, services or [])
    statuses = list(status or [])
    if filter_:
        key, _, value = filter_.partition("=")
        if key != "status":
            raise UsageError(f"invalid filter {filter_!r}: only status=... is supported")
        statuses.append(value)
    engine = pc.engine(ctx)
    found = engine.containers.list(all=True, filters=L.project_filter(name))
    rows = []
    for c in sorted(found, key=lambda c: c.name):
        svc = c.labels.get(L.SERVICE, "")
        if services and svc not in services:
            continue
        if L.is_oneoff(c.labels) and not all_:
            continue
        if not orphans and project is not None and svc not in project.services:
            continue
        if statuses:
            if c.state.status not in statuses:
                continue
        elif not all_ and not c.state.running:
            continue
        rows.append(c)
    if show_services:
        sys.stdout.write("".join(s + "\n" for s in dict.fromkeys(c.labels.get(L.SERVICE, "") for c in rows)))
    elif quiet:
        sys.stdout.write("".join(c.id + "\n" for c in rows))
    elif fmt == "json":
        import json
        sys.stdout.write("".join(json.dumps(dict(sorted(ps_json(c, no_trunc).items())),
                                            separators=(",", ":"), ensure_ascii=False) + "\n"
                                 for c in rows))
    elif fmt.strip() == "table":
        images = _images_of(engine, rows)
        sys.stdout.write(table([[c.name, c.image, command_text(c, not no_trunc, images.get(c.image_id)),
                                 c.labels.get(L.SERVICE, ""),
                                 _ago(c.created) + " ago", status_text(c), ports_text(c)] for c in rows],
                               ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]))
    else:
        from .ps_format import render
        sys.stdout.write(render(fmt, [ps_json(c, no_trunc) for c in rows]))


def ls(ctx: typer.Context,
       all_: bool = typer.Option(False, "-a", "--all", help="Show all stopped Compose projects"),
       quiet: bool = typer.Option(False, "-q", "--quiet", help="Only display project names"),
       fmt: str = typer.Option("table", "--format", help="Format the output. Values: [table | json]"),
       filter_: Optional[str] = typer.Option(None, "--filter", help="Filter output based on conditions provided (name=...)")) -> None:
    from compose import labels as L
    found = pc.engine(ctx).containers.list(all=True, filters={"label": [L.PROJECT]})
    projects: dict[str, dict] = {}
    for c in found:
        p = projects.setdefault(c.labels.get(L.PROJECT, ""), {"states": {}, "files": c.labels.get(L.CONFIG_FILES, "")})
        p["states"][c.state.status] = p["states"].get(c.state.status, 0) + 1
    rows = []
    for name in sorted(projects):
        states = projects[name]["states"]
        if not all_ and not states.get("running"):
            continue
        if filter_ and filter_.startswith("name=") and filter_[5:] not in name:
            continue
        status = ", ".join(f"{s}({n})" for s, n in sorted(states.items()))
        rows.append({"Name": name, "Status": status, "ConfigFiles": projects[name]["files"]})
    if quiet:
        sys.stdout.write("".join(r["Name"] + "\n" for r in rows))
    elif _table_or_json(fmt) == "json":
        import json
        sys.stdout.write(json.dumps(rows) + "\n")
    else:
        sys.stdout.write(table([[r["Name"], r["Status"], r["ConfigFiles"]] for r in rows],
                               ["NAME", "STATUS", "CONFIG FILES"]))


def _table_or_json(fmt: str) -> str:
    """Docker Compose's formatter.Print for `ls`/`images`: table, pretty or json, any case
    (no Go templates there)."""
    kind = fmt.lower()
    if kind not in ("table", "pretty", "json"):
        raise ComposeError(f'format value "{fmt}" could not be parsed: parsing failed')
    return kind


def images(ctx: typer.Context, services: Optional[List[str]] = typer.Argument(None, metavar="SERVICE"),
           quiet: bool = typer.Option(False, "-q", "--quiet", help="Only display IDs"),
           fmt: str = typer.Option("table", "--format", help="Format the output. Values: [table | json]")) -> None:
    from compose import labels as L
    from engine.errors import EngineError
    project, name = pc.load_project_or_name(ctx)
    engine = pc.engine(ctx)
    rows = []
    for c in sorted(engine.containers.list(all=True, filters=L.project_filter(name)), key=lambda c: c.name):
        if services and c.labels.get(L.SERVICE) not in services:
            continue
        repo, _, tag = c.image.rpartition(":") if ":" in c.image.rsplit("/", 1)[-1] else (c.image, "", "latest")
        size = 0
        try:
            size = engine.images.inspect(c.image_id or c.image).size
        except EngineError:
            pass
        rows.append({"ContainerName": c.name, "Repository": repo, "Tag": tag, "ID": c.image_id,
                     "Size": size})
    if quiet:
        sys.stdout.write("".join(dict.fromkeys(r["ID"] + "\n" for r in rows)))
    elif _table_or_json(fmt) == "json":
        import json
        sys.stdout.write(json.dumps(rows) + "\n")
    else:
        sys.stdout.write(table([[r["ContainerName"], r["Repository"], r["Tag"],
                                 r["ID"].split(":")[-1][:12], _size(r["Size"])] for r in rows],
                               ["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"]))


def top(ctx: typer.Context, services: Optional[List[str]] = typer.Argument(None, metavar="SERVICE")) -> None:
    from compose import labels as L
    project, name = pc.load_project_or_name(ctx)
    engine = pc.engine(ctx)
    for c in sorted(engine.containers.list(filters=L.project_filter(name)), key=lambda c: c.name):
        if services and c.labels.get(L.SERVICE) not in services:
            continue
        result = engine.containers.top(c.id)
        sys.stdout.write(c.name + "\n")
        sys.stdout.write(table([[str(x) for x in row] for row in result.get("Processes", [])],
                               list(result.get("Titles", []))) + "\n")


def port(ctx: typer.Context, service: str = typer.Argument(..., metavar="SERVICE"), private_port: str = typer.Argument(...),
         protocol: str = typer.Option("tcp", "--protocol", help="tcp or udp"),
         index: int = typer.Option(0, "--index", help="Index of the container if service has multiple replicas")) -> None:
    """The public address of a port of the service's RUNNING container (Docker Compose lists
    only running containers: a stopped one is "not running")."""
    from compose import labels as L
    project, name = pc.load_project_or_name(ctx)
    engine = pc.engine(ctx)
    found = [c for c in engine.containers.list(all=False, filters=L.project_filter(
        name, f"{L.SERVICE}={service}", f"{L.ONEOFF}=False"))
        if index <= 0 or L.container_number(c.labels) == index]
    if not found:
        raise ComposeError(f'service "{service}" is not running'
                           + (f" container #{index}" if index > 0 else ""))
    container = min(found, key=lambda c: (c.created, L.container_number(c.labels)))
    target = int(private_port.split("/")[0])
    for p in container.ports:
        if p.container_port == target and p.protocol == protocol and p.host_port:
            sys.stdout.write(f"{p.host_ip or '0.0.0.0'}:{p.host_port}\n")
            return
    raise ComposeError(f"no port {target}/{protocol} for container {container.name}: ")


def logs(ctx: typer.Context, services: Optional[List[str]] = typer.Argument(None, metavar="SERVICE"),
         follow: bool = typer.Option(False, "-f", "--follow", help="Follow log output"),
         tail: str = typer.Option("all", "-n", "--tail", help="Number of lines to show from the end of the logs for each container"),
         timestamps: bool = typer.Option(False, "-t", "--timestamps", help="Show timestamps"),
         since: Optional[str] = typer.Option(None, "--since", help="Show logs since timestamp or relative (e.g. 42m)"),
         until: Optional[str] = typer.Option(None, "--until", help="Show logs before a timestamp or relative"),
         no_color: bool = typer.Option(False, "--no-color", help="Produce monochrome output"),
         no_log_prefix: bool = typer.Option(False, "--no-log-prefix", help="Don't print prefix in logs"),
         index: Optional[int] = typer.Option(None, "--index", help="index of the container if service has multiple replicas")) -> None:
    _logs(ctx, services or [], follow, tail, timestamps, since, until, no_color, no_log_prefix, index)


def version(fmt: str = typer.Option("pretty", "-f", "--format", help="Format the output. Values: [pretty | json]"),
            short: bool = typer.Option(False, "--short", help="Shows only Compose's version number")) -> None:
    # pyproject's version, kept equal by tests/cli/test_version.py (importlib.metadata: ~77 ms)
    from compose import __version__ as v
    if short:
        sys.stdout.write(v + "\n")
    elif fmt == "json":
        import json
        sys.stdout.write(json.dumps({"version": f"v{v}"}) + "\n")
    else:
        sys.stdout.write(f"pycompose version v{v}\n")


def register(root: typer.Typer, groups: dict) -> None:
    root.command("ps", help="List containers")(ps)
    root.command("ls", help="List running compose projects")(ls)
    root.command("images", help="List images used by the created containers")(images)
    root.command("top", help="Display the running processes")(top)
    root.command("port", help="Print the public port for a port binding")(port)
    root.command("logs", help="View output from containers")(logs)
    root.command("version", help="Show the pycompose version information")(version)


def _images_of(engine, containers) -> dict:
    from engine.errors import EngineError
    out = {}
    for c in containers:
        if c.image_id and c.image_id not in out:
            try:
                out[c.image_id] = engine.images.inspect(c.image_id)
            except EngineError:
                out[c.image_id] = None
    return out


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return f"{n:.3g}{unit}"
        n /= 1000
    return f"{n:.3g}TB"


def _logs(ctx, services, follow, tail, timestamps, since, until, no_color, no_log_prefix, index) -> None:
    from compose import labels as L
    from compose.project_ops.attach import Follower, LogPrinter, print_stream
    project, name = pc.load_project_or_name(ctx)
    pc.check_services(project, services)
    engine = pc.engine(ctx)
    n_tail = None if tail in ("all", "-1") else int(tail)
    printer = LogPrinter(sys.stdout, color=pc.use_color(ctx, no_color), prefix=not no_log_prefix,
                         timestamps=timestamps, project=name)
    found = [c for c in engine.containers.list(all=True, filters=L.project_filter(name))
             if (not services or c.labels.get(L.SERVICE) in services)
             and (index is None or L.container_number(c.labels) == index)]
    found.sort(key=lambda c: c.name)
    for c in found:
        printer.register(c.name)
    if not follow:                          # one container after the other: stable output
        for c in found:
            print_stream(printer, c.name, engine.containers.logs(
                c.id, follow=False, since=since, until=until, tail=n_tail, timestamps=timestamps))
        return
    threads = []
    for c in found:
        def pump(c=c):
            print_stream(printer, c.name, engine.containers.logs(
                c.id, follow=follow, since=since, until=until, tail=n_tail, timestamps=timestamps))
        import threading
        t = threading.Thread(target=pump, daemon=True)
        t.start()
        threads.append(t)
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except KeyboardInterrupt:
        return
