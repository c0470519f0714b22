"""The config hash the planner compares with the ``com.docker.compose.config-hash`` label:
compose.hashing.service_hash (identical to ``docker compose config --hash``), behind one
function so the planner, the executor and ``run`` agree on it."""
from __future__ import annotations


def service_hash(project, service) -> str:
    from compose.hashing import service_hash as _hash
    return _hash(service)
