"""The config hashes the planner compares with the ``com.docker.compose.config-hash`` labels:
compose.hashing's (identical to ``docker compose config --hash``), behind these functions so
the planner, the executor and ``run`` agree on them.

    service_hash(project, service)    network_hash(project, key)    volume_hash(volume)

They are pure functions of the project, so the project cache (compose.project_cache) stores
them with a cached project (``derived_hashes``) and installs them on a hit
(``remember_hashes``): a command served from the cache then never imports compose.hashing
(json, hashlib, the loader's output shaping). A hash is remembered for the very object it was
computed for (kept alive with it), so a project built another way is always hashed afresh.
"""
from __future__ import annotations

_known: dict = {}          # (id(owner), what) -> (owner, digest)


def service_hash(project, service) -> str:
    digest = _recall(service, "service")
    if digest is None:
        from compose.hashing import service_hash as _hash
        digest = _hash(service)
    return digest


def network_hash(project, key: str) -> str:
    """The hash a network of the project (key ``key``, declared or not) must carry."""
    digest = _recall(project, "network:" + key)
    if digest is None:
        from compose.hashing import network_hash as _hash
        from compose.naming import scoped_name
        net = project.networks.get(key)
        digest = _hash(net if net is not None else {"name": scoped_name(project.name, key)})
    return digest


def volume_hash(volume) -> str:
    digest = _recall(volume, "volume")
    if digest is None:
        from compose.hashing import volume_hash as _hash
        digest = _hash(volume)
    return digest


def derived_hashes(project) -> dict:
    """Every hash the planner may ask about ``project``: {"services": {name: hash},
    "networks": {key: hash}, "volumes": {key: hash}}."""
    from compose.naming import network_names
    keys = list(project.networks)
    for svc in project.services.values():
        keys += [k for k in network_names(project, svc) if k not in keys]
    return {"services": {name: service_hash(project, svc) for name, svc in project.services.items()},
            "networks": {key: network_hash(project, key) for key in keys},
            "volumes": {key: volume_hash(vol) for key, vol in project.volumes.items()}}


def remember_hashes(project, derived: dict) -> None:
    """Install ``derived_hashes(project)`` computed earlier for an equal project."""
    for name, digest in (derived.get("services") or {}).items():
        svc = project.services.get(name)
        if svc is not None:
            _remember(svc, "service", digest)
    for key, digest in (derived.get("networks") or {}).items():
        _remember(project, "network:" + key, digest)
    for key, digest in (derived.get("volumes") or {}).items():
        vol = project.volumes.get(key)
        if vol is not None:
            _remember(vol, "volume", digest)


def _remember(owner, what: str, digest: str) -> None:
    _known[(id(owner), what)] = (owner, digest)


def _recall(owner, what: str):
    hit = _known.get((id(owner), what))
    return hit[1] if hit is not None and hit[0] is owner else None
