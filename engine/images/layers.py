"""Making images from layers: the builder's create_image, ``docker import`` (with its
``--change`` Dockerfile instructions) and layer facts (diff id, media type) of a blob."""
from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Optional

from .. import reference
from ..errors import ImageError, InvalidArgument
from ..types import ImageInfo
from ..unpack.compression import HashingReader, open_uncompressed, READ_SIZE
from . import manifest as mf
from .index import now_rfc3339

_MEDIA_BY_KIND = {"tar": mf.OCI_LAYER, "gzip": mf.OCI_LAYER_GZIP, "zstd": mf.OCI_LAYER_ZSTD}


def layer_facts(blob_path: Path) -> tuple[str, str]:
    """(diff id, OCI media type) of a stored layer blob."""
    with open(blob_path, "rb") as raw:
        try:
            stream, kind = open_uncompressed(raw)
            hashing = HashingReader(stream)
            while hashing.read(READ_SIZE):
                pass
        except Exception as e:
            raise ImageError(f"invalid layer {blob_path.name[:12]}: cannot decompress ({e})") from None
    return hashing.digest, _MEDIA_BY_KIND[kind]


def _history_for(count: int, created: str, comment: str = "") -> list[dict]:
    return [{"created": created, "created_by": comment} for _ in range(count)]


def build_image(svc, config: dict, layer_digests: list[str], tags: list[str],
                history: Optional[list]) -> ImageInfo:
    """create_image: ``config`` is a full image config or just its runnable ``config`` part.

    ``layer_digests`` are blob digests (from add_layer or layer_digests()); a diff id of a
    stored layer is accepted too."""
    if config.keys() & {"rootfs", "architecture", "os", "config", "history"}:
        full = json.loads(json.dumps(config))
    else:
        full = {"config": json.loads(json.dumps(config))}
    host = mf.host_platform()
    full.setdefault("architecture", host["architecture"])
    full.setdefault("os", "linux")
    full.setdefault("created", now_rfc3339())
    descriptors, diff_ids = [], []
    for digest in layer_digests:
        digest = _blob_for(svc, digest)
        facts = svc.store.index.layer(digest)
        if facts is None or not svc.content.has(digest):
            raise ImageError(f"layer {digest} is not in the store (add it with add_layer first)")
        descriptors.append(mf.Descriptor(facts["media_type"], digest, int(facts["size"])))
        diff_ids.append(facts["diff_id"])
    full["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    if history is not None:
        full["history"] = history
    elif "history" not in full:
        full["history"] = _history_for(len(diff_ids), full["created"])
    return svc.commit_manifest(mf.canonical_json(full), descriptors, tags)


def _blob_for(svc, digest: str) -> str:
    if svc.content.has(digest) and svc.store.index.layer(digest) is not None:
        return digest
    for entry in (svc.layout.images / "layers").glob("*.json"):
        facts = json.loads(entry.read_text())
        if facts.get("diff_id") == digest and svc.content.has("sha256:" + entry.stem):
            return "sha256:" + entry.stem
    return digest


# --------------------------------------------------------------------------- docker import

CHANGE_KEYS = {"CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER",
               "VOLUME", "WORKDIR"}


def _json_or_shell(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("["):
        try:
            parsed = json.loads(value)
            if isinstance(parsed, list) and all(isinstance(x, str) for x in parsed):
                return parsed
        except ValueError:
            pass
    return ["/bin/sh", "-c", value]


def _pairs(value: str, what: str) -> list[tuple[str, str]]:
    words = shlex.split(value)
    if len(words) >= 2 and "=" not in words[0]:
        return [(words[0], value.split(None, 1)[1])]           # legacy "ENV key value"
    out = []
    for w in words:
        key, eq, val = w.partition("=")
        if not eq or not key:
            raise InvalidArgument(f"{what} needs key=value pairs, got {w!r}")
        out.append((key, val))
    return out


def apply_changes(cfg: dict, changes: list[str]) -> None:
    """Apply ``docker import --change`` instructions to a runnable config dict."""
    for change in changes:
        instr, _, value = change.strip().partition(" ")
        instr = instr.upper()
        if instr not in CHANGE_KEYS:
            raise InvalidArgument(f"{instr} is not a valid change command (allowed: "
                                  f"{', '.join(sorted(CHANGE_KEYS))})")
        if instr in ("CMD", "ENTRYPOINT"):
            cfg[instr.title()] = _json_or_shell(value)
        elif instr == "ENV":
            env = [e for e in cfg.get("Env") or []]
            for key, val in _pairs(value, "ENV"):
                env = [e for e in env if e.partition("=")[0] != key] + [f"{key}={val}"]
            cfg["Env"] = env
        elif instr == "LABEL":
            cfg.setdefault("Labels", {}).update(dict(_pairs(value, "LABEL")))
        elif instr == "EXPOSE":
            for port in value.split():
                cfg.setdefault("ExposedPorts", {})[port if "/" in port else port + "/tcp"] = {}
        elif instr == "VOLUME":
            vols = _json_or_shell(value) if value.strip().startswith("[") else value.split()
            for v in vols:
                cfg.setdefault("Volumes", {})[v] = {}
        elif instr == "ONBUILD":
            cfg.setdefault("OnBuild", []).append(value.strip())
        else:
            cfg[{"STOPSIGNAL": "StopSignal", "USER": "User", "WORKDIR": "WorkingDir"}[instr]] = value.strip()


def import_rootfs(svc, path, ref: Optional[str], changes: list[str], message: str,
                  platform: str) -> ImageInfo:
    tags = [reference.parse(ref).tagged_name] if ref else []
    if not Path(path).is_file():
        raise InvalidArgument(f"cannot import {path}: no such file")
    runnable: dict = {}
    apply_changes(runnable, changes)
    _diff_id, digest, _size = svc.add_layer(path)
    plat = mf.parse_platform(platform) if platform else mf.host_platform()
    created = now_rfc3339()
    config = {"architecture": plat["architecture"], "os": plat["os"], "created": created,
              "config": runnable,
              "history": [{"created": created, "created_by": "",
                           "comment": message or f"Imported from {os.path.basename(str(path))}"}]}
    if plat.get("variant"):
        config["variant"] = plat["variant"]
    return svc.create_image(config, [digest], tags)
