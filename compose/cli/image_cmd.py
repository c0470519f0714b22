"""``pycompose image ls|inspect|rm|tag|prune|history|import|load|save|pull|push``.

Flags and output follow the docker CLI. Heavy imports happen inside the commands.
"""
from __future__ import annotations

import sys
from typing import List, Optional

from compose.cli.ty import typer

from . import options


def _engine(ctx: typer.Context):
    return options.get(ctx).engine()


def _echo(text: str) -> None:
    sys.stdout.write(text + "\n")


class _DockerLines:
    """docker pull/push style progress on stdout without a tty: "<layer>: <status>" lines."""

    def __call__(self, ev) -> None:
        if ev.kind == "layer" and ev.status not in ("Downloading", "Pushing"):
            _echo(f"{ev.id}: {ev.status}")
            sys.stdout.flush()

    def close(self) -> None:
        pass


def _renderer(ctx: typer.Context, quiet: bool = False):
    from .render import make_renderer
    mode = "quiet" if quiet else options.get(ctx).progress
    if mode == "plain" or (mode in ("auto", "tty") and not sys.stderr.isatty()):
        return _DockerLines()
    return make_renderer(mode)


def image_ls(
    ctx: typer.Context,
    repository: Optional[str] = typer.Argument(None, metavar="[REPOSITORY[:TAG]]"),
    all_: bool = typer.Option(False, "-a", "--all", help="Show all images"),
    digests: bool = typer.Option(False, "--digests", help="Show digests"),
    filter_: Optional[List[str]] = typer.Option(None, "-f", "--filter", help="Filter output"),
    fmt: str = typer.Option("", "--format", help="table, json or a Go template"),
    no_trunc: bool = typer.Option(False, "--no-trunc", help="Don't truncate output"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only show image IDs"),
) -> None:
    """List images."""
    from .image_format import emit, list_rows
    filters = options.parse_filters(filter_)
    if repository:
        filters.setdefault("reference", []).append(repository)
    infos = _engine(ctx).images.list(filters)
    rows = []
    for info in infos:
        for row in list_rows(info):
            if no_trunc:
                row["ID"] = info.id
            rows.append(row)
    if quiet:
        seen = []
        for r in rows:
            if r["ID"] not in seen:
                seen.append(r["ID"])
        for i in seen:
            _echo(i)
        return
    columns = ["Repository", "Tag"] + (["Digest"] if digests else []) + ["ID", "CreatedSince", "Size"]
    emit(fmt, rows, columns, _echo)


def image_inspect(
    ctx: typer.Context,
    images: List[str] = typer.Argument(..., metavar="IMAGE..."),
    fmt: str = typer.Option("", "-f", "--format", help="Go template or json"),
) -> None:
    """Display detailed information on one or more images."""
    import json
    from engine.errors import NotFound
    from .image_format import render_template
    svc = _engine(ctx).images
    found, missing = [], []
    for name in images:
        try:
            found.append(svc.inspect_raw(name))
        except NotFound as e:
            missing.append(str(e))
    if fmt and fmt != "json":
        for obj in found:
            _echo(render_template(fmt, obj))
    else:
        _echo(json.dumps(found, indent=4))
    if missing:
        for m in missing:
            sys.stderr.write(f"Error: {m}\n")
        raise typer.Exit(1)


def image_rm(
    ctx: typer.Context,
    images: List[str] = typer.Argument(..., metavar="IMAGE..."),
    force: bool = typer.Option(False, "-f", "--force", help="Force removal of the image"),
    no_prune: bool = typer.Option(False, "--no-prune", help="Do not delete untagged parents"),
) -> None:
    """Remove one or more images."""
    from engine.errors import EngineError
    svc = _engine(ctx).images
    failed = False
    for name in images:
        try:
            for item in svc.remove(name, force=force):
                for key, value in item.items():
                    _echo(f"{key}: {value}")
        except EngineError as e:
            sys.stderr.write(f"Error response from daemon: {e}\n")
            failed = True
    if failed:
        raise typer.Exit(1)


def image_tag(ctx: typer.Context,
              source: str = typer.Argument(..., metavar="SOURCE_IMAGE[:TAG]"),
              target: str = typer.Argument(..., metavar="TARGET_IMAGE[:TAG]")) -> None:
    """Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE."""
    _engine(ctx).images.tag(source, target)


def image_prune(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "-a", "--all", help="Remove all unused images, not just dangling ones"),
    force: bool = typer.Option(False, "-f", "--force", help="Do not prompt for confirmation"),
    filter_: Optional[List[str]] = typer.Option(None, "--filter", help="Provide filter values"),
) -> None:
    """Remove unused images."""
    from .units import human_size
    if not force:
        warning = ("WARNING! This will remove all images without at least one container associated to them."
                   if all_ else "WARNING! This will remove all dangling images.")
        sys.stdout.write(warning + "\nAre you sure you want to continue? [y/N] ")
        sys.stdout.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            return
    report = _engine(ctx).images.prune(all=all_, filters=options.parse_filters(filter_) or None)
    if report["ImagesDeleted"]:
        _echo("Deleted Images:")
        for item in report["ImagesDeleted"]:
            for key, value in item.items():
                _echo(f"{key.lower()}: {value}")
        _echo("")
    _echo(f"Total reclaimed space: {human_size(report['SpaceReclaimed'])}")


def image_history(
    ctx: typer.Context,
    image: str = typer.Argument(..., metavar="IMAGE"),
    human: bool = typer.Option(True, "-H", "--human", help="Print sizes and dates in human readable format"),
    no_trunc: bool = typer.Option(False, "--no-trunc", help="Don't truncate output"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only show image IDs"),
    fmt: str = typer.Option("", "--format", help="table, json or a Go template"),
) -> None:
    """Show the history of an image."""
    from .units import created_since, human_size
    from .image_format import emit
    rows = []
    for h in _engine(ctx).images.history(image):
        hid = h["Id"] if no_trunc or h["Id"] == "<missing>" else h["Id"][7:19]
        created_by = h["CreatedBy"]
        if not no_trunc and len(created_by) > 45:
            created_by = created_by[:44] + "…"
        rows.append({"ID": hid, "CreatedSince": created_since(h["Created"]) if human else h["Created"],
                     "CreatedAt": h["Created"], "CreatedBy": created_by,
                     "Size": human_size(h["Size"]) if human else str(h["Size"]),
                     "Comment": h["Comment"]})
    if quiet:
        for r in rows:
            _echo(r["ID"])
        return
    emit(fmt, rows, ["ID", "CreatedSince", "CreatedBy", "Size", "Comment"], _echo, {"ID": "IMAGE"})


def image_import(
    ctx: typer.Context,
    source: str = typer.Argument(..., metavar="file|-"),
    repository: Optional[str] = typer.Argument(None, metavar="[REPOSITORY[:TAG]]"),
    change: Optional[List[str]] = typer.Option(None, "-c", "--change", help="Apply Dockerfile instruction"),
    message: str = typer.Option("", "-m", "--message", help="Set commit message for imported image"),
    platform: str = typer.Option("", "--platform", help="Set platform if server is multi-platform capable"),
) -> None:
    """Import the contents from a tarball to create a filesystem image."""
    import os
    import tempfile
    eng = _engine(ctx)
    path, tmp = source, None
    if source == "-":
        fd, tmp = tempfile.mkstemp(dir=eng.layout.tmp, prefix="import-")
        with os.fdopen(fd, "wb") as out:
            import shutil
            shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
        path = tmp
    try:
        info = eng.images.import_tarball(path, repository, changes=list(change or []),
                                         message=message or f"Imported from {source}",
                                         platform=platform)
    finally:
        if tmp:
            os.unlink(tmp)
    _echo(info.id)


def image_load(
    ctx: typer.Context,
    input_: Optional[str] = typer.Option(None, "-i", "--input", help="Read from tar archive file, instead of STDIN"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Suppress the load output"),
) -> None:
    """Load an image from a tar archive or STDIN."""
    from engine.errors import InvalidArgument
    if input_ is None and sys.stdin.isatty():
        raise InvalidArgument("requested load from stdin, but stdin is empty")
    lines = _engine(ctx).images.load(input_ if input_ is not None else sys.stdin.buffer)
    if not quiet:
        for line in lines:
            _echo(line)


def image_save(
    ctx: typer.Context,
    images: List[str] = typer.Argument(..., metavar="IMAGE..."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Write to a file, instead of STDOUT"),
    fmt: str = typer.Option("docker", "--format", help="docker (docker + OCI layout) or oci"),
) -> None:
    """Save one or more images to a tar archive (streamed to STDOUT by default)."""
    from engine.errors import InvalidArgument
    svc = _engine(ctx).images
    if output:
        svc.save(images, output, format=fmt)
        return
    if sys.stdout.isatty():
        raise InvalidArgument("cowardly refusing to save to a terminal. Use the -o flag or redirect")
    sys.stdout.flush()
    svc.save(images, sys.stdout.buffer, format=fmt)
    sys.stdout.buffer.flush()


def image_pull(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME[:TAG|@DIGEST]"),
    all_tags: bool = typer.Option(False, "-a", "--all-tags", help="Download all tagged images"),
    platform: str = typer.Option("", "--platform", help="Set platform if server is multi-platform capable"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Suppress verbose output"),
) -> None:
    """Download an image from a registry."""
    from engine import reference
    ref = reference.parse(name)
    if not quiet and ":" not in name.rpartition("/")[2] and "@" not in name:
        _echo("Using default tag: latest")
    svc = _engine(ctx).images
    render = _renderer(ctx, quiet)
    try:
        tags = svc.list_tags(name) if all_tags else [None]
        for tag in tags:
            target = str(ref.with_tag(tag)) if tag else str(ref)
            before = svc.exists(target) and svc.inspect(target).id
            if not quiet:
                _echo(f"{tag or ref.tag or ref.digest}: Pulling from {ref.path}")
            info = svc.pull(target, platform=platform, on_event=render)
            if quiet:
                continue
            digest = next((d.partition("@")[2] for d in info.repo_digests
                           if d.partition("@")[0] == ref.name), "")
            if digest:
                _echo(f"Digest: {digest}")
            status = "Image is up to date for" if before == info.id else "Downloaded newer image for"
            _echo(f"Status: {status} {reference.familiar(target)}")
        _echo(str(ref.with_tag(ref.tag)) if ref.tag and not all_tags else ref.name)
    finally:
        render.close()


def image_push(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME[:TAG]"),
    all_tags: bool = typer.Option(False, "-a", "--all-tags", help="Push all tags of an image to the repository"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Suppress verbose output"),
) -> None:
    """Upload an image to a registry."""
    from engine import reference
    svc = _engine(ctx).images
    ref = reference.parse(name, default_tag=not all_tags)
    if not all_tags and ":" not in name.rpartition("/")[2] and not quiet:
        _echo("Using default tag: latest")
    if not quiet:
        _echo(f"The push refers to repository [{ref.name}]")
    render = _renderer(ctx, quiet)
    try:
        targets = [str(ref)] if not all_tags else [
            t for t in (tag for info in svc.list() for tag in info.repo_tags)
            if t.rpartition(":")[0] == ref.name]
        for target in targets:
            digest = svc.push(target, on_event=render)
            if not quiet:
                _echo(f"{reference.parse(target).tag}: digest: {digest} size: {svc.content.size(digest)}")
    finally:
        render.close()


def register(root: typer.Typer, groups: dict) -> None:
    app = groups["image"]
    for names, fn in ((("ls", "list"), image_ls), (("inspect",), image_inspect),
                      (("rm", "remove"), image_rm), (("tag",), image_tag),
                      (("prune",), image_prune), (("history",), image_history),
                      (("import",), image_import), (("load",), image_load),
                      (("save",), image_save), (("pull",), image_pull), (("push",), image_push)):
        for i, name in enumerate(names):
            app.command(name, hidden=i > 0)(fn)
