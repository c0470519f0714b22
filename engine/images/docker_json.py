"""Docker-shaped JSON for images: the ``docker image inspect`` object (field names follow
Docker's). Presentation (``image ls`` rows, human sizes and durations) lives in the CLI:
compose/cli/image_format.py and compose/cli/units.py."""
from __future__ import annotations

from .. import reference
from .store import Image


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
