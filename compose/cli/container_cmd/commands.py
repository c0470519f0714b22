"""The simple container commands (one engine call each, docker-like output)."""
from __future__ import annotations

import json
import sys
from typing import List, Optional

from compose.cli.ty import typer

from . import PASSTHROUGH, _each, _engine


def register(app: typer.Typer) -> None:
    from . import runcmd
    for name, fn in (("start", start), ("stop", stop), ("kill", kill), ("restart", restart),
                     ("pause", pause), ("unpause", unpause), ("rm", rm), ("wait", wait),
                     ("inspect", inspect), ("logs", logs), ("top", top), ("cp", cp),
                     ("stats", stats), ("rename", rename), ("ls", ls), ("port", port)):
        app.command(name)(fn)
    app.command("ps", hidden=True)(ls)
    app.command("list", hidden=True)(ls)
    app.command("remove", hidden=True)(rm)
    app.command("create", context_settings=PASSTHROUGH, add_help_option=False,
                help="Create a new container")(runcmd.create)
    app.command("run", context_settings=PASSTHROUGH, add_help_option=False,
                help="Create and run a new container from an image")(runcmd.run)
    app.command("exec", context_settings=PASSTHROUGH, add_help_option=False,
                help="Execute a command in a running container")(runcmd.exec_)


def start(ctx: typer.Context, containers: List[str] = typer.Argument(..., metavar="CONTAINER..."),
          attach: bool = typer.Option(False, "-a", "--attach", help="Attach STDOUT/STDERR and forward signals")):
    """Start one or more stopped containers"""
    eng = _engine(ctx)
    if attach:
        from .runcmd import stream_until_exit
        eng.containers.start(containers[0])
        raise typer.Exit(stream_until_exit(eng, eng.containers.inspect(containers[0]).id, False))
    _each(containers, eng.containers.start)


def stop(ctx: typer.Context, containers: List[str] = typer.Argument(..., metavar="CONTAINER..."),
         time_: Optional[int] = typer.Option(None, "-t", "--time", "--timeout", help="Seconds to wait before killing the container"),
         signal: str = typer.Option("", "-s", "--signal", help="Signal to send to the container")):
    """Stop one or more running containers"""
    eng = _engine(ctx)
    if signal:
        _each(containers, lambda c: eng.containers.kill(c, signal))
        return
    _each(containers, lambda c: eng.containers.stop(c, timeout=time_))


def kill(ctx: typer.Context, containers: List[str] = typer.Argument(..., metavar="CONTAINER..."),
         signal: str = typer.Option("KILL", "-s", "--signal", help="Signal to send to the container")):
    """Kill one or more running containers"""
    eng = _engine(ctx)
    _each(containers, lambda c: eng.containers.kill(c, signal))


def restart(ctx: typer.Context, containers: List[str] = typer.Argument(..., metavar="CONTAINER..."),
            time_: Optional[int] = typer.Option(None, "-t", "--time", "--timeout", help="Seconds to wait before killing the container")):
    """Restart one or more containers"""
    eng = _engine(ctx)
    _each(containers, lambda c: eng.containers.restart(c, timeout=time_))


def pause(ctx: typer.Context, containers: List[str] = typer.Argument(..., metavar="CONTAINER...")):
    """Pause all processes within one or more containers"""
    eng = _engine(ctx)
    _each(containers, eng.containers.pause)


def unpause(ctx: typer.Context, containers: List[str] = typer.Argument(..., metavar="CONTAINER...")):
    """Unpause all processes within one or more containers"""
    eng = _engine(ctx)
    _each(containers, eng.containers.unpause)


def rm(ctx: typer.Context, containers: List[str] = typer.Argument(..., metavar="CONTAINER..."),
       force: bool = typer.Option(False, "-f", "--force", help="Force the removal of a running container (uses SIGKILL)"),
       volumes: bool = typer.Option(False, "-v", "--volumes", help="Remove anonymous volumes associated with the container")):
    """Remove one or more containers"""
    eng = _engine(ctx)
    _each(containers, lambda c: eng.containers.remove(c, force=force, volumes=volumes))


def wait(ctx: typer.Context, containers: List[str] = typer.Argument(..., metavar="CONTAINER...")):
    """Block until one or more containers stop, then print their exit codes"""
    from engine.errors import EngineError
    eng = _engine(ctx)
    failed = False
    for ref in containers:
        try:
            typer.echo(str(eng.containers.wait(ref)))
        except EngineError as e:
            failed = True
            typer.echo(f"Error response from daemon: {e}", err=True)
    if failed:
        raise typer.Exit(1)


def inspect(ctx: typer.Context, containers: List[str] = typer.Argument(..., metavar="CONTAINER..."),
            format: str = typer.Option("", "-f", "--format", help="Format output using a Go-like template or 'json'")):
    """Display detailed information on one or more containers"""
    from engine.errors import NotFound
    from .view import inspect_doc, render_format
    eng = _engine(ctx)
    docs, missing = [], []
    for ref in containers:
        try:
            docs.append(inspect_doc(eng.containers.inspect(ref)))
        except NotFound:
            missing.append(ref)
    if format and format != "json":
        for doc in docs:
            typer.echo(render_format(format, doc))
    else:
        typer.echo(json.dumps(docs, indent=4))
    for ref in missing:
        typer.echo(f"Error: No such container: {ref}", err=True)
    if missing:
        raise typer.Exit(1)


def logs(ctx: typer.Context, container: str = typer.Argument(...),
         follow: bool = typer.Option(False, "-f", "--follow", help="Follow log output"),
         since: Optional[str] = typer.Option(None, "--since", help="Show logs since timestamp or relative (e.g. 42m)"),
         until: Optional[str] = typer.Option(None, "--until", help="Show logs before a timestamp or relative"),
         tail: str = typer.Option("all", "-n", "--tail", help="Number of lines to show from the end of the logs"),
         timestamps: bool = typer.Option(False, "-t", "--timestamps", help="Show timestamps")):
    """Fetch the logs of a container"""
    eng = _engine(ctx)
    n = None if tail in ("all", "") else int(tail)
    out, err = sys.stdout.buffer, sys.stderr.buffer
    try:
        for stream, ts, data in eng.containers.logs(container, follow=follow, since=since,
                                                    until=until, tail=n, timestamps=timestamps):
            target = out if stream == "stdout" else err
            target.write((ts.encode() + b" " + data) if timestamps else data)
            target.flush()
    except KeyboardInterrupt:
        pass


def top(ctx: typer.Context, container: str = typer.Argument(...)):
    """Display the running processes of a container"""
    from .view import table
    res = _engine(ctx).containers.top(container)
    typer.echo(table(res["Processes"], res["Titles"]))


def cp(ctx: typer.Context, src: str = typer.Argument(..., metavar="SRC"),
       dest: str = typer.Argument(..., metavar="DEST")):
    """Copy files/folders between a container and the local filesystem (CONTAINER:PATH)"""
    from compose.errors import UsageError
    eng = _engine(ctx)
    src_c, _, src_path = src.partition(":") if ":" in src and not src.startswith("/") else ("", "", src)
    dst_c, _, dst_path = dest.partition(":") if ":" in dest and not dest.startswith("/") else ("", "", dest)
    if bool(src_c) == bool(dst_c):
        raise UsageError("copying between containers or between local paths is not supported; "
                         "use CONTAINER:PATH for exactly one of SRC and DEST")
    if src_c:
        eng.containers.copy_from(src_c, src_path, dst_path)
    else:
        eng.containers.copy_to(dst_c, src_path, dst_path)


def stats(ctx: typer.Context, containers: Optional[List[str]] = typer.Argument(None, metavar="[CONTAINER...]"),
          no_stream: bool = typer.Option(False, "--no-stream", help="Disable streaming stats and only pull the first result"),
          all_: bool = typer.Option(False, "-a", "--all", help="Show all containers (default shows just running)"),
          format: str = typer.Option("", "--format", help="'json' or a Go-like template")):
    """Display a live stream of container(s) resource usage statistics"""
    from .stats import run_stats
    raise typer.Exit(run_stats(_engine(ctx), list(containers or []), all_, no_stream, format))


def rename(ctx: typer.Context, container: str = typer.Argument(...), new_name: str = typer.Argument(...)):
    """Rename a container"""
    _engine(ctx).containers.rename(container, new_name)


def ls(ctx: typer.Context,
       all_: bool = typer.Option(False, "-a", "--all", help="Show all containers (default shows just running)"),
       quiet: bool = typer.Option(False, "-q", "--quiet", help="Only display container IDs"),
       filter_: Optional[List[str]] = typer.Option(None, "--filter", "-f", help="Filter output based on conditions provided"),
       format: str = typer.Option("", "--format", help="'table', 'json' or a Go-like template"),
       no_trunc: bool = typer.Option(False, "--no-trunc", help="Don't truncate output")):
    """List containers"""
    from .view import PS_HEADERS, PS_KEYS, ps_row, render_format, table
    filters: dict = {}
    for item in filter_ or []:
        key, _, value = item.partition("=")
        filters.setdefault(key, []).append(value)
    infos = _engine(ctx).containers.list(all=all_, filters=filters)
    if quiet:
        for info in infos:
            typer.echo(info.id if no_trunc else info.id[:12])
        return
    rows = [ps_row(i, no_trunc) for i in infos]
    if format and format != "table":
        for row in rows:
            typer.echo(render_format(format, row))
        return
    typer.echo(table([[r[k] for k in PS_KEYS] for r in rows], PS_HEADERS))


def port(ctx: typer.Context, container: str = typer.Argument(...),
         private_port: Optional[str] = typer.Argument(None, metavar="[PRIVATE_PORT[/PROTO]]")):
    """List port mappings or a specific mapping for the container"""
    ports = _engine(ctx).containers.port(container)
    for p in ports:
        key = f"{p.container_port}/{p.protocol}"
        if private_port and private_port not in (key, str(p.container_port)):
            continue
        if p.host_port:
            host = p.host_ip or "0.0.0.0"
            host = f"[{host}]" if ":" in host else host           # [::]:8080, like Docker
            typer.echo(f"{host}:{p.host_port}" if private_port else f"{key} -> {host}:{p.host_port}")


def system_boot(ctx: typer.Context):
    """Start the containers a daemon would start at boot (restart always / unless-stopped)"""
    for cid in _engine(ctx).containers.boot():
        typer.echo(cid)
