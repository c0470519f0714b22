"""``pycompose config``: parse, resolve and render the compose file in canonical format.

Output is identical to ``docker compose config`` (YAML document / JSON deep-equal).
Heavy modules (yaml, jsonschema, networkx) are imported only when the command runs.
"""
from __future__ import annotations

from typing import List, Optional

from compose.cli.ty import typer

from . import options as _options


def register(root: typer.Typer, groups: dict) -> None:
    root.command("config", help="Parse, resolve and render compose file in canonical format")(config)


def config(
    ctx: typer.Context,
    services: Optional[List[str]] = typer.Argument(None, help="Services to render"),
    format: str = typer.Option("yaml", "--format", help="Format the output. Values: [yaml | json]"),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Save to file (default to stdout)"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only validate the configuration, don't print anything"),
    list_services: bool = typer.Option(False, "--services", help="Print the service names, one per line"),
    list_volumes: bool = typer.Option(False, "--volumes", help="Print the volume names, one per line"),
    list_networks: bool = typer.Option(False, "--networks", help="Print the network names, one per line"),
    list_images: bool = typer.Option(False, "--images", help="Print the image names, one per line"),
    list_profiles: bool = typer.Option(False, "--profiles", help="Print the profile names, one per line"),
    hash_: Optional[str] = typer.Option(None, "--hash", help="Print the service config hash, one per line"),
    no_interpolate: bool = typer.Option(False, "--no-interpolate", help="Don't interpolate environment variables"),
    no_normalize: bool = typer.Option(False, "--no-normalize", help="Don't normalize compose model"),
    no_path_resolution: bool = typer.Option(False, "--no-path-resolution", help="Don't resolve file paths"),
    no_env_resolution: bool = typer.Option(False, "--no-env-resolution", help="Don't resolve service env files"),
    no_consistency: bool = typer.Option(False, "--no-consistency",
                                        help="Don't check model consistency - warning: may produce invalid Compose output"),
    environment: bool = typer.Option(False, "--environment", help="Print environment used for interpolation."),
    variables: bool = typer.Option(False, "--variables", help="Print model variables and default values."),
) -> None:
    from compose.loader import configcli as r
    from compose.errors import UsageError

    if format not in ("yaml", "json"):
        raise UsageError(f"unsupported format {format!r}")
    g = _options.get(ctx)
    opts = r.load_options(g, services=list(services or []), interpolate=not no_interpolate,
                          normalize=not no_normalize, resolve_paths=not no_path_resolution,
                          resolve_env_files=not no_env_resolution, consistency=not no_consistency)
    if variables:
        return r.emit(r.variables_table(opts), output)
    project = r.load(opts)
    if quiet:
        return None
    if environment:
        text = "".join(f"{k}={v}\n" for k, v in sorted(project.environment.items()))
    elif list_services:
        text = r.lines(r.services_in_dependency_order(project))
    elif list_volumes:
        text = r.lines(r.resource_names(project, "volumes"))
    elif list_networks:
        text = r.lines(r.resource_names(project, "networks"))
    elif list_images:
        text = r.lines(r.images(project))
    elif list_profiles:
        text = r.lines(r.profiles(project))
    elif hash_ is not None:
        text = r.hashes(project, hash_)
    else:
        text = r.document(project, format, interpolated=not no_interpolate)
    r.emit(text, output)
