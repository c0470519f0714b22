"""Docker-shaped JSON for images: ``docker image inspect`` objects and the rows of
``docker image ls --format json`` (the CLI renders them; field names follow Docker's)."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from .. import reference
from .store import Image


def parse_time(created: str) -> float:
    """RFC 3339 (with or without fractional seconds / offset) -> epoch seconds (0 if unknown)."""
    if not created:
        return 0.0
    text = created.strip().replace("Z", "+00:00")
    main, dot, rest = text.partition(".")
    if dot:
        frac = "".join(c for c in rest if c.isdigit())
        tz = rest[len(frac):]
        text = f"{main}.{frac[:6]}{tz}"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return 0.0
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def human_size(size: float) -> str:
    """Docker's units.HumanSize: decimal units, 3 significant digits ("4.26MB")."""
    units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    i = 0
    while size >= 1000 and i < len(units) - 1:
        size /= 1000.0
        i += 1
    return f"{size:.3g}{units[i]}"


def human_duration(seconds: float) -> str:
    """Docker's units.HumanDuration."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def created_since(created: str) -> str:
    t = parse_time(created)
    return human_duration(time.time() - t) + " ago" if t else "N/A"


def created_at(created: str) -> str:
    t = parse_time(created)
    return time.strftime("%Y-%m-%d %H:%M:%S +0000 UTC", time.gmtime(t)) if t else ""


def inspect_object(image: Image, size: int) -> dict:
    """The object ``docker image inspect`` prints for one image."""
    cfg = image.config
    return {
        "Id": image.id,
        "RepoTags": [reference.familiar(t) for t in image.tags],
        "RepoDigests": [reference.familiar(d) for d in image.record.get("repo_digests", [])],
        "Parent": "",
        "Comment": (cfg.get("history") or [{}])[-1].get("comment", "") if cfg.get("history") else "",
        "Created": cfg.get("created", ""),
        "DockerVersion": cfg.get("docker_version", ""),
        "Author": cfg.get("author", ""),
        "Config": cfg.get("config") or {},
        "Architecture": cfg.get("architecture", ""),
        **({"Variant": cfg["variant"]} if cfg.get("variant") else {}),
        "Os": cfg.get("os", ""),
        "Size": size,
        "GraphDriver": {"Name": "overlayfs", "Data": None},
        "RootFS": {"Type": "layers", "Layers": list(image.diff_ids)},
        "Metadata": {"LastTagTime": image.record.get("added", "")},
        "Descriptor": {"mediaType": image.record.get("media_type", ""),
                       "digest": image.manifest_digest},
    }


def list_rows(info, digests: bool = False) -> list[dict]:
    """Rows of ``docker image ls`` for one image: one per tag (one <none> row if untagged)."""
    tags = [reference.familiar(t) for t in info.repo_tags]
    repo_digests = [reference.familiar(d) for d in info.repo_digests]
    rows = []
    pairs = [tuple(t.rsplit(":", 1)) for t in tags] or [("<none>", "<none>")]
    if not tags and repo_digests:
        pairs = [(d.partition("@")[0], "<none>") for d in repo_digests]
    for repo, tag in pairs:
        digest = next((d.partition("@")[2] for d in repo_digests if d.partition("@")[0] == repo), "<none>")
        rows.append({"Containers": "N/A", "CreatedAt": created_at(info.created),
                     "CreatedSince": created_since(info.created), "Digest": digest,
                     "ID": info.id[7:19], "Repository": repo, "SharedSize": "N/A",
                     "Size": human_size(info.size), "Tag": tag, "UniqueSize": "N/A",
                     "VirtualSize": human_size(info.size)})
    return rows
