"""``pycompose network ls|inspect|create|rm|prune|connect|disconnect`` (docker CLI flags and
output). Heavy imports happen inside the commands."""
from __future__ import annotations

from typing import List, Optional

from compose.cli.ty import typer

from . import network_ops as ops
from . import options
from .network_ops import confirm, go_time, parse_kv  # noqa: F401 - used by volume_cmd


def _engine(ctx: typer.Context):
    return options.get(ctx).engine()


def _getter(ctx: typer.Context):
    """The engine of ctx, made when the command asks for it."""
    return lambda: _engine(ctx)


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
    ops.ls(_getter(ctx), filter_, fmt, no_trunc, quiet)


def network_inspect(
    ctx: typer.Context,
    networks: List[str] = typer.Argument(..., metavar="NETWORK..."),
    fmt: str = typer.Option("", "-f", "--format", help="Go template or json"),
) -> None:
    """Display detailed information on one or more networks."""
    ops.inspect(_getter(ctx), networks, fmt)


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
    ops.create(_getter(ctx), name, driver, subnet, ip_range, gateway, aux_address, internal,
               attachable, ipv6, ipam_driver, label, opt)


def network_rm(
    ctx: typer.Context,
    networks: List[str] = typer.Argument(..., metavar="NETWORK..."),
    force: bool = typer.Option(False, "-f", "--force", help="Do not error if the network does not exist"),
) -> None:
    """Remove one or more networks."""
    ops.rm(_getter(ctx), networks, force)


def network_prune(
    ctx: typer.Context,
    filter_: Optional[List[str]] = typer.Option(None, "--filter", help="Provide filter values (e.g. \"until=<timestamp>\")"),
    force: bool = typer.Option(False, "-f", "--force", help="Do not prompt for confirmation"),
) -> None:
    """Remove all unused networks."""
    ops.prune(_getter(ctx), filter_, force)


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
    ops.connect(_getter(ctx), network, container, alias, ip, ip6, mac, gw_priority)


def network_disconnect(
    ctx: typer.Context,
    network: str = typer.Argument(..., metavar="NETWORK"),
    container: str = typer.Argument(..., metavar="CONTAINER"),
    force: bool = typer.Option(False, "-f", "--force", help="Force the container to disconnect from a network"),
) -> None:
    """Disconnect a container from a network."""
    ops.disconnect(_getter(ctx), network, container, force)


_Failed = ops.failed_class()                  # engine.errors is light to import


def register(root: typer.Typer, groups: dict) -> None:
    app = groups["network"]
    for names, fn in ((("ls", "list"), network_ls), (("inspect",), network_inspect),
                      (("create",), network_create), (("rm", "remove"), network_rm),
                      (("prune",), network_prune), (("connect",), network_connect),
                      (("disconnect",), network_disconnect)):
        for i, name in enumerate(names):
            app.command(name, hidden=i > 0)(fn)
