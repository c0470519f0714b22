"""``pycompose volume ls|inspect|create|rm|prune`` (docker CLI flags and output)."""
from __future__ import annotations

import json
import sys
from typing import List, Optional

from compose.cli.ty import typer

from . import options
from .network_cmd import confirm, parse_kv


def _engine(ctx: typer.Context):
    return options.get(ctx).engine()


def _echo(text: str) -> None:
    sys.stdout.write(text + "\n")


def _row(info) -> dict:
    return {"Availability": "N/A", "Driver": info.driver, "Group": "N/A",
            "Labels": ",".join(f"{k}={v}" for k, v in sorted(info.labels.items())),
            "Links": "N/A", "Mountpoint": info.mountpoint, "Name": info.name, "Scope": "local",
            "Size": "N/A", "Status": "N/A"}


def volume_ls(
    ctx: typer.Context,
    filter_: Optional[List[str]] = typer.Option(None, "-f", "--filter", help="Provide filter values (e.g. \"dangling=true\")"),
    fmt: str = typer.Option("", "--format", help="table, json or a Go template"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only display volume names"),
) -> None:
    """List volumes."""
    from .image_format import emit
    infos = sorted(_engine(ctx).volumes.list(options.parse_filters(filter_)), key=lambda i: i.name)
    if quiet:
        for info in infos:
            _echo(info.name)
        return
    emit(fmt, [_row(i) for i in infos], ["Driver", "Name"], _echo,
         headers={"Driver": "DRIVER", "Name": "VOLUME NAME"})


def volume_inspect(
    ctx: typer.Context,
    volumes: List[str] = typer.Argument(..., metavar="VOLUME..."),
    fmt: str = typer.Option("", "-f", "--format", help="Go template or json"),
) -> None:
    """Display detailed information on one or more volumes."""
    from .image_format import render_template
    eng = _engine(ctx)
    docs = [eng.volumes.inspect_dict(v) for v in volumes]
    if fmt and fmt != "json":
        for d in docs:
            _echo(render_template(fmt, d))
        return
    _echo(json.dumps(docs, indent=4))


def volume_create(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, metavar="[VOLUME]"),
    name_opt: str = typer.Option("", "--name", help="Specify volume name"),
    driver: str = typer.Option("local", "-d", "--driver", help="Specify volume driver name"),
    label: Optional[List[str]] = typer.Option(None, "--label", help="Set metadata for a volume"),
    opt: Optional[List[str]] = typer.Option(None, "-o", "--opt", help="Set driver specific options"),
) -> None:
    """Create a volume."""
    from engine.errors import InvalidArgument
    from engine.types import VolumeSpec
    if name and name_opt and name != name_opt:
        raise InvalidArgument(f"conflicting options: either specify --name or provide positional "
                              f"arg, not both")
    spec = VolumeSpec(name=name or name_opt, driver=driver, driver_opts=parse_kv(opt, "option"),
                      labels=parse_kv(label, "label"))
    _echo(_engine(ctx).volumes.create(spec).name)


def volume_rm(
    ctx: typer.Context,
    volumes: List[str] = typer.Argument(..., metavar="VOLUME..."),
    force: bool = typer.Option(False, "-f", "--force", help="Force the removal of one or more volumes"),
) -> None:
    """Remove one or more volumes."""
    from engine.errors import EngineError
    eng = _engine(ctx)
    failed = []
    for name in volumes:
        try:
            eng.volumes.remove(name, force=force)
            _echo(name)
        except EngineError as e:
            failed.append(str(e))
    if failed:
        from .network_cmd import _Failed
        raise _Failed("\n".join(failed))


def volume_prune(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "-a", "--all", help="Remove all unused volumes, not just anonymous ones"),
    filter_: Optional[List[str]] = typer.Option(None, "--filter", help="Provide filter values (e.g. \"label=<label>\")"),
    force: bool = typer.Option(False, "-f", "--force", help="Do not prompt for confirmation"),
) -> None:
    """Remove unused local volumes."""
    warning = ("This will remove all local volumes not used by at least one container." if all_
               else "This will remove anonymous local volumes not used by at least one container.")
    if not confirm(force, warning):
        return
    removed = _engine(ctx).volumes.prune(options.parse_filters(filter_), all=all_)
    if removed:
        _echo("Deleted Volumes:\n" + "\n".join(removed) + "\n")
    _echo("Total reclaimed space: 0B")


def register(root: typer.Typer, groups: dict) -> None:
    app = groups["volume"]
    for names, fn in ((("ls", "list"), volume_ls), (("inspect",), volume_inspect),
                      (("create",), volume_create), (("rm", "remove"), volume_rm),
                      (("prune",), volume_prune)):
        for i, name in enumerate(names):
            app.command(name, hidden=i > 0)(fn)
