"""``pycompose build`` (compose verb) and ``pycompose image build`` (docker build).

Progress is printed to stderr like BuildKit's plain output::

    #4 [2/3] RUN make
    #4 0.213 gcc -o app main.c
    #4 DONE 0.4s

    #5 [3/3] COPY app /usr/bin/
    #5 CACHED

``BuildPlainRenderer(inner)`` renders build-step events this way and passes every other
event to ``inner`` (another renderer); ``up --build`` can use it too.
"""
from __future__ import annotations

import sys
import threading
from typing import List, Optional

from compose.cli.ty import typer

from . import options


class BuildPlainRenderer:
    """BuildKit-style plain lines for "build-step" events; other events go to ``inner``."""

    def __init__(self, inner=None, stream=None, json_mode: bool = False) -> None:
        self.inner = inner
        self.stream = stream or sys.stderr
        self.json_mode = json_mode
        self.lock = threading.Lock()

    def __call__(self, ev) -> None:
        if ev.kind != "build-step":
            if self.inner is not None:
                self.inner(ev)
            return
        if self.json_mode:
            import json
            rec = {"kind": ev.kind, "id": ev.id, "status": ev.status, "text": ev.text}
            self._write(json.dumps(rec) + "\n")
            return
        elapsed = (ev.extra or {}).get("elapsed")
        if ev.status == "START":
            line = f"\n{ev.id} {ev.text}\n"
        elif ev.status == "LOG":
            line = f"{ev.id} {elapsed or 0:.3f} {ev.text}\n"
        elif ev.status == "DONE":
            line = f"{ev.id} DONE {elapsed or 0:.1f}s\n"
        elif ev.status == "CACHED":
            line = f"{ev.id} CACHED\n"
        elif ev.status == "ERROR":
            line = f"{ev.id} ERROR: {ev.text}\n"
        elif ev.status == "WARN":
            line = f"\n[Warning] {ev.text}\n"
        else:
            line = f"{ev.id} {ev.status} {ev.text}\n"
        self._write(line)

    def _write(self, text: str) -> None:
        with self.lock:
            self.stream.write(text)
            self.stream.flush()

    def close(self) -> None:
        if self.inner is not None and hasattr(self.inner, "close"):
            self.inner.close()


def _renderer(ctx, quiet: bool, inner=None):
    mode = options.get(ctx).progress
    if quiet or mode == "quiet":
        return lambda ev: None
    return BuildPlainRenderer(inner, json_mode=(mode == "json"))


def _pairs(values: Optional[List[str]], what: str, allow_bare: bool = False) -> dict:
    from compose.errors import UsageError
    out: dict = {}
    for v in values or []:
        key, eq, val = v.partition("=")
        if not key or (not eq and not allow_bare):
            raise UsageError(f"invalid {what} {v!r}: expected KEY=VALUE")
        out[key] = val if eq else None
    return out


def _secrets(values: Optional[List[str]]) -> dict:
    from compose.errors import UsageError
    out = {}
    for v in values or []:
        fields = dict(p.partition("=")[::2] for p in v.split(","))
        sid, src = fields.get("id"), fields.get("src") or fields.get("source")
        if not sid or not src:
            raise UsageError(f"invalid --secret {v!r}: expected id=NAME,src=PATH")
        out[sid] = src
    return out


def image_build(
    ctx: typer.Context,
    context: str = typer.Argument(..., metavar="PATH | -", help="Build context ('-': Dockerfile from stdin)"),
    tag: Optional[List[str]] = typer.Option(None, "-t", "--tag", help="Name and optionally a tag (name:tag)"),
    file: Optional[str] = typer.Option(None, "-f", "--file", help="Name of the Dockerfile (default: PATH/Dockerfile; '-' = stdin)"),
    build_arg: Optional[List[str]] = typer.Option(None, "--build-arg", help="Set build-time variables"),
    target: str = typer.Option("", "--target", help="Set the target build stage to build"),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not use cache when building the image"),
    pull: bool = typer.Option(False, "--pull", help="Always attempt to pull all referenced images"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Suppress the build output and print image ID on success"),
    label: Optional[List[str]] = typer.Option(None, "--label", help="Set metadata for an image"),
    network: str = typer.Option("", "--network", help="Networking mode for RUN instructions (default, host, none)"),
    add_host: Optional[List[str]] = typer.Option(None, "--add-host", help="Add a custom host-to-IP mapping (host:ip)"),
    secret: Optional[List[str]] = typer.Option(None, "--secret", help="Secret to expose to the build (id=NAME,src=PATH)"),
    build_context: Optional[List[str]] = typer.Option(None, "--build-context", help="Additional build contexts (name=path|docker-image://ref)"),
    platform: str = typer.Option("", "--platform", help="Set the target platform for the build"),
    iidfile: Optional[str] = typer.Option(None, "--iidfile", help="Write the image ID to the file"),
    cache_from: Optional[List[str]] = typer.Option(None, "--cache-from", help="Images to consider as cache sources"),
    ssh: Optional[List[str]] = typer.Option(None, "--ssh", help="SSH agent socket to expose to the build (default|<id>[=<socket>])"),
) -> None:
    """Build an image from a Dockerfile."""
    import tempfile
    from engine.build.sshagent import ssh_map
    from engine.types import BuildSpec
    inline = None
    tmp = None
    if context == "-":
        inline = sys.stdin.read()
        tmp = tempfile.TemporaryDirectory(prefix="pycompose-build-")
        context = tmp.name
    elif file == "-":
        inline = sys.stdin.read()
    try:
        import os
        dockerfile = os.path.abspath(file) if file and file != "-" else ""   # relative to cwd
        spec = BuildSpec(context=context, dockerfile=dockerfile,
                         dockerfile_inline=inline, tags=tuple(tag or ()),
                         build_args=_pairs(build_arg, "--build-arg", allow_bare=True),
                         target=target, labels=_pairs(label, "--label"), no_cache=no_cache,
                         pull=pull, network=network, extra_hosts=tuple(add_host or ()),
                         additional_contexts=_pairs(build_context, "--build-context"),
                         platform=platform, secrets=_secrets(secret),
                         cache_from=tuple(cache_from or ()), ssh=ssh_map(ssh))
        render = _renderer(ctx, quiet)
        info = options.get(ctx).engine().builder.build(spec, render)
    finally:
        if tmp is not None:
            tmp.cleanup()
    if iidfile:
        with open(iidfile, "w") as f:
            f.write(info.id)
    if quiet:
        sys.stdout.write(info.id + "\n")


def compose_build(
    ctx: typer.Context,
    services: Optional[List[str]] = typer.Argument(None, metavar="[SERVICE...]"),
    build_arg: Optional[List[str]] = typer.Option(None, "--build-arg", help="Set build-time variables for services"),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not use cache when building the image"),
    pull: bool = typer.Option(False, "--pull", help="Always attempt to pull a newer version of the image"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Don't print anything to STDOUT"),
    with_dependencies: bool = typer.Option(False, "--with-dependencies", help="Also build dependencies (transitively)"),
    ssh: Optional[List[str]] = typer.Option(None, "--ssh", help="Set SSH authentications used when building service images"),
) -> None:
    """Build or rebuild services."""
    from compose.build_project import BuildOptions, build_services
    from .project_common import check_services, engine, load_project, renderer
    project = load_project(ctx, services or ())
    names = list(services or project.services)
    check_services(project, names)
    opts = BuildOptions(no_cache=no_cache, pull=pull, quiet=quiet,
                        build_args=_pairs(build_arg, "--build-arg", allow_bare=True),
                        with_dependencies=with_dependencies, ssh=tuple(ssh or ()))
    inner = None if quiet else renderer(ctx)
    render = _renderer(ctx, quiet, inner)
    try:
        build_services(project, engine(ctx), names, opts, render)
    finally:
        if hasattr(render, "close"):
            render.close()


def builder_prune(
    ctx: typer.Context,
    force: bool = typer.Option(False, "-f", "--force", help="Do not prompt for confirmation"),
    all_: bool = typer.Option(False, "-a", "--all", help="Remove all build cache (the default here)"),
) -> None:
    """Remove build cache."""
    if not force and sys.stdin.isatty():
        sys.stderr.write("WARNING! This will remove all build cache. Are you sure you want to "
                         "continue? [y/N] ")
        sys.stderr.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            return
    freed = options.get(ctx).engine().builder.prune()
    sys.stdout.write(f"Total:\t{_human_size(freed)}\n")


def _human_size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return f"{n:.3g}{unit}"
        n /= 1000
    return f"{n:.3g}TB"


def register(root: typer.Typer, groups: dict) -> None:
    groups["image"].command("build")(image_build)
    root.command("build")(compose_build)
    builder = typer.Typer(help="Manage builds", no_args_is_help=True, add_completion=False,
                          pretty_exceptions_enable=False)
    builder.command("prune")(builder_prune)
    builder.command("build")(image_build)
    root.add_typer(builder, name="builder")
