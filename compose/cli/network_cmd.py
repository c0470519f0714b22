"""``pycompose network ls|inspect|create|rm|prune|connect|disconnect`` (docker CLI flags and
output). Heavy imports happen inside the commands."""
from __future__ import annotations

import json
import sys
from typing import List, Optional

from compose.cli.ty import typer

from . import options


def _engine(ctx: typer.Context):
    return options.get(ctx).engine()


def _echo(text: str) -> None:
    sys.stdout.write(text + "\n")


def parse_kv(values: Optional[List[str]], what: str) -> dict:
    from engine.errors import InvalidArgument
    out = {}
    for v in values or []:
        key, eq, val = v.partition("=")
        if not key:
            raise InvalidArgument(f"invalid {what} {v!r}: expected key=value")
        out[key] = val
    return out


def confirm(force: bool, warning: str) -> bool:
    if force:
        return True
    sys.stdout.write(f"WARNING! {warning}\nAre you sure you want to continue? [y/N] ")
    sys.stdout.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def _resolve_container(eng, ref: str) -> str:
    """A container reference (name, id, prefix) -> full id, through the container service."""
    try:
        return eng.containers.inspect(ref).id
    except ImportError:
        if len(ref) == 64 and eng.layout.container_dir(ref).exists():
            return ref
        raise


def go_time(iso: str) -> str:
    """RFC 3339 -> the docker CLI's Go time text ("2024-05-01 10:00:00.123456 +0000 UTC")."""
    if iso.endswith("Z"):
        date, _, clock = iso[:-1].partition("T")
        return f"{date} {clock} +0000 UTC"
    return iso


def _row(info) -> dict:
    return {"CreatedAt": go_time(info.created), "Driver": info.driver, "ID": info.id[:12],
            "IPv4": "true", "IPv6": str(bool(info.spec and info.spec.enable_ipv6)).lower(),
            "Internal": str(info.internal).lower(),
            "Labels": ",".join(f"{k}={v}" for k, v in sorted(info.labels.items())),
            "Name": info.name, "Scope": "local"}


def network_ls(
    ctx: typer.Context,
    filter_: Optional[List[str]] = typer.Option(None, "-f", "--filter", help="Provide filter values (e.g. \"driver=bridge\")"),
    fmt: str = typer.Option("", "--format", help="table, json or a Go template"),
    no_trunc: bool = typer.Option(False, "--no-trunc", help="Do not truncate the output"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only display network IDs"),
) -> None:
    """List networks."""
    from .image_format import emit
    infos = _engine(ctx).networks.list(options.parse_filters(filter_))
    rows = []
    for info in sorted(infos, key=lambda i: i.name):
        row = _row(info)
        if no_trunc:
            row["ID"] = info.id
        rows.append(row)
    if quiet:
        for row in rows:
            _echo(row["ID"])
        return
    emit(fmt, rows, ["ID", "Name", "Driver", "Scope"], _echo,
         headers={"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE"})


def network_inspect(
    ctx: typer.Context,
    networks: List[str] = typer.Argument(..., metavar="NETWORK..."),
    fmt: str = typer.Option("", "-f", "--format", help="Go template or json"),
) -> None:
    """Display detailed information on one or more networks."""
    from .image_format import render_template
    eng = _engine(ctx)
    docs = [eng.networks.inspect_dict(n) for n in networks]
    if fmt and fmt != "json":
        for d in docs:
            _echo(render_template(fmt, d))
        return
    _echo(json.dumps(docs, indent=4))


def network_create(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NETWORK"),
    driver: str = typer.Option("bridge", "-d", "--driver", help="Driver to manage the Network"),
    subnet: Optional[List[str]] = typer.Option(None, "--subnet", help="Subnet in CIDR format"),
    ip_range: Optional[List[str]] = typer.Option(None, "--ip-range", help="Allocate container ip from a sub-range"),
    gateway: Optional[List[str]] = typer.Option(None, "--gateway", help="IPv4 Gateway for the master subnet"),
    aux_address: Optional[List[str]] = typer.Option(None, "--aux-address", help="Auxiliary IPv4 addresses used by Network driver"),
    internal: bool = typer.Option(False, "--internal", help="Restrict external access to the network"),
    attachable: bool = typer.Option(False, "--attachable", help="Enable manual container attachment"),
    ipv6: bool = typer.Option(False, "--ipv6", help="Enable IPv6 networking"),
    ipam_driver: str = typer.Option("default", "--ipam-driver", help="IP Address Management Driver"),
    label: Optional[List[str]] = typer.Option(None, "--label", help="Set metadata on a network"),
    opt: Optional[List[str]] = typer.Option(None, "-o", "--opt", help="Set driver specific options"),
) -> None:
    """Create a network."""
    from engine.errors import InvalidArgument
    from engine.types import IPAMPool, NetworkSpec
    subnets, ranges, gateways = list(subnet or []), list(ip_range or []), list(gateway or [])
    if len(ranges) > len(subnets) or len(gateways) > len(subnets):
        raise InvalidArgument("every ip-range or gateway must have a corresponding subnet")
    pools = tuple(IPAMPool(subnet=s, ip_range=ranges[i] if i < len(ranges) else "",
                           gateway=gateways[i] if i < len(gateways) else "",
                           aux_addresses=parse_kv(aux_address, "aux-address") if i == 0 else {})
                  for i, s in enumerate(subnets))
    spec = NetworkSpec(name=name, driver=driver, internal=internal, attachable=attachable,
                       enable_ipv6=ipv6, ipam_driver=ipam_driver, ipam=pools,
                       driver_opts=parse_kv(opt, "option"), labels=parse_kv(label, "label"))
    _echo(_engine(ctx).networks.create(spec).id)


def network_rm(
    ctx: typer.Context,
    networks: List[str] = typer.Argument(..., metavar="NETWORK..."),
    force: bool = typer.Option(False, "-f", "--force", help="Do not error if the network does not exist"),
) -> None:
    """Remove one or more networks."""
    from engine.errors import EngineError, NotFound
    eng = _engine(ctx)
    failed = []
    for ref in networks:
        try:
            eng.networks.remove(ref)
            _echo(ref)
        except NotFound as e:
            if not force:
                failed.append(str(e))
        except EngineError as e:
            failed.append(str(e))
    if failed:
        raise _Failed("\n".join(failed))


def network_prune(
    ctx: typer.Context,
    filter_: Optional[List[str]] = typer.Option(None, "--filter", help="Provide filter values (e.g. \"until=<timestamp>\")"),
    force: bool = typer.Option(False, "-f", "--force", help="Do not prompt for confirmation"),
) -> None:
    """Remove all unused networks."""
    if not confirm(force, "This will remove all custom networks not used by at least one container."):
        return
    removed = _engine(ctx).networks.prune(options.parse_filters(filter_))
    if removed:
        _echo("Deleted Networks:\n" + "\n".join(removed) + "\n")


def network_connect(
    ctx: typer.Context,
    network: str = typer.Argument(..., metavar="NETWORK"),
    container: str = typer.Argument(..., metavar="CONTAINER"),
    alias: Optional[List[str]] = typer.Option(None, "--alias", help="Add network-scoped alias for the container"),
    ip: str = typer.Option("", "--ip", help="IPv4 address (e.g., \"172.30.100.104\")"),
    ip6: str = typer.Option("", "--ip6", help="IPv6 address (e.g., \"2001:db8::33\")"),
    mac: str = typer.Option("", "--mac-address", help="MAC address"),
    gw_priority: int = typer.Option(0, "--gw-priority", help="Highest gw-priority provides the default gateway"),
) -> None:
    """Connect a container to a network."""
    from engine.types import EndpointSpec
    eng = _engine(ctx)
    cid = _resolve_container(eng, container)
    eng.networks.connect(network, cid, EndpointSpec(aliases=tuple(alias or ()), ipv4_address=ip,
                                                    ipv6_address=ip6, mac_address=mac,
                                                    gw_priority=gw_priority))


def network_disconnect(
    ctx: typer.Context,
    network: str = typer.Argument(..., metavar="NETWORK"),
    container: str = typer.Argument(..., metavar="CONTAINER"),
    force: bool = typer.Option(False, "-f", "--force", help="Force the container to disconnect from a network"),
) -> None:
    """Disconnect a container from a network."""
    eng = _engine(ctx)
    eng.networks.disconnect(network, _resolve_container(eng, container), force=force)


class _Failed(Exception):
    """Several removals failed: one message per line (an EngineError, so main prints it)."""


def _make_failed():
    from engine.errors import EngineError
    return type("Failed", (EngineError,), {"__doc__": _Failed.__doc__})


_Failed = _make_failed()                   # noqa: F811 - engine.errors is light to import


def register(root: typer.Typer, groups: dict) -> None:
    app = groups["network"]
    for names, fn in ((("ls", "list"), network_ls), (("inspect",), network_inspect),
                      (("create",), network_create), (("rm", "remove"), network_rm),
                      (("prune",), network_prune), (("connect",), network_connect),
                      (("disconnect",), network_disconnect)):
        for i, name in enumerate(names):
            app.command(name, hidden=i > 0)(fn)
