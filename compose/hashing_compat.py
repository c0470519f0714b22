"""The config hash the planner compares with the ``com.docker.compose.config-hash`` label.

Uses compose.hashing (the loader's implementation of ``config --hash``) when it exists;
otherwise a SHA-256 of the canonical service dict minus the keys Docker Compose excludes
(build, pull_policy, scale, deploy.replicas, depends_on, profiles).
"""
from __future__ import annotations

import hashlib
import json

EXCLUDED = ("build", "pull_policy", "scale", "depends_on", "profiles")


def service_hash(project, service) -> str:
    try:
        from compose import hashing
    except ImportError:
        hashing = None
    fn = getattr(hashing, "service_hash", None) if hashing else None
    if fn is not None:
        return fn(service) if fn.__code__.co_argcount == 1 else fn(project, service)
    raw = {k: v for k, v in (service.raw or {}).items() if k not in EXCLUDED}
    if isinstance(raw.get("deploy"), dict):
        raw["deploy"] = {k: v for k, v in raw["deploy"].items() if k != "replicas"}
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
