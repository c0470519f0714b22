"""The service config hash, identical to Docker Compose's (``config --hash``, label
``com.docker.compose.config-hash``).

Docker Compose (pkg/compose/hash.go) hashes SHA-256 over Go's ``json.Marshal`` of the
resolved service with ``build``, ``pull_policy``, ``scale``, ``deploy.replicas``,
``depends_on`` and ``profiles`` removed. Go's encoding: struct fields in declaration order,
map keys sorted, compact separators, ``<``, ``>``, ``&`` escaped as ``\\u003c`` ..., x-
extensions omitted, ``command``/``entrypoint`` always present (null when unset).

    service_hash(service)  # a compose.model.Service or its canonical dict -> 64 hex chars
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

_EXCLUDED = ("build", "pull_policy", "scale", "depends_on", "profiles")


def service_hash_input(service: Any) -> bytes:
    """The exact bytes that are hashed (useful for debugging hash divergences)."""
    from compose.loader.output import shape
    raw = (service.hash_source or service.raw) if hasattr(service, "raw") else service
    data = {k: v for k, v in dict(raw).items() if k not in _EXCLUDED}
    if isinstance(data.get("deploy"), Mapping):
        data["deploy"] = {k: v for k, v in data["deploy"].items() if k != "replicas"}
    shaped = shape(data, "service", "json")
    text = json.dumps(shaped, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return text.encode("utf-8")


def service_hash(service: Any) -> str:
    """SHA-256 hex digest of the service config, as Docker Compose computes it."""
    return hashlib.sha256(service_hash_input(service)).hexdigest()


def _go_json_digest(data: Any, kind: str) -> str:
    from compose.loader.output import shape
    text = json.dumps(shape(data, kind, "json"), separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def network_hash(network: Any) -> str:
    """The ``com.docker.compose.config-hash`` of a top-level network (Docker Compose's
    NetworkHash: SHA-256 of the Go JSON of the network config, as ``config`` prints it)."""
    raw = network.raw if hasattr(network, "raw") else network
    return _go_json_digest(dict(raw), "network")


def volume_hash(volume: Any) -> str:
    """The ``com.docker.compose.config-hash`` of a top-level volume (Docker Compose's
    VolumeHash: the same over the volume config, with the driver defaulted to "local")."""
    data = dict(volume.raw if hasattr(volume, "raw") else volume)
    if not data.get("driver"):
        data["driver"] = "local"
    return _go_json_digest(data, "volume")
