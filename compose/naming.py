"""Docker Compose v2 names (BEHAVIOUR.md §5.2).

containers   <project>-<service>-<n>       (or the service's container_name)
one-off      <project>-<service>-run-<12 hex>
networks     <project>_<key>               (explicit ``name:`` used as-is; default network
volumes      <project>_<key>                <project>_default)
built image  <project>-<service>
"""
from __future__ import annotations


SEPARATOR = "-"


def container_name(project: str, service: str, number: int) -> str:
    return f"{project}{SEPARATOR}{service}{SEPARATOR}{number}"


def oneoff_slug() -> str:
    import secrets
    return secrets.token_hex(32)


def oneoff_name(project: str, service: str, slug: str) -> str:
    return f"{project}{SEPARATOR}{service}{SEPARATOR}run{SEPARATOR}{slug[:12]}"


def scoped_name(project: str, key: str) -> str:
    """Networks, volumes, secrets, configs: ``<project>_<key>``."""
    return f"{project}_{key}"


def default_network(project: str) -> str:
    return scoped_name(project, "default")


def built_image_name(project: str, service: str) -> str:
    return f"{project}{SEPARATOR}{service}"


def temporary_name(old_id: str, name: str) -> str:
    """The replacement container's name during a recreate: ``<old-id-12>_<name>``."""
    return f"{old_id[:12]}_{name}"


def log_prefix(project: str, container_name_: str) -> str:
    """``web-1`` for ``demo-web-1``; a custom container_name is kept whole."""
    head = f"{project}{SEPARATOR}"
    return container_name_[len(head):] if container_name_.startswith(head) else container_name_


# ----------------------------------------------------------------------------- project level
# (re-exported by compose.convert)

def image_ref(project, service) -> str:
    return service.image or built_image_name(project.name, service.name)


def network_names(project, service) -> list[str]:
    """Service network keys in priority order ("default" when none is given)."""
    if service.network_mode:
        return []
    keys = list(service.networks) or ["default"]
    return sorted(keys, key=lambda k: -((service.networks.get(k) or _NoNet).priority))


class _NoNet:
    priority = 0


def network_engine_name(project, key: str) -> str:
    net = project.networks.get(key)
    return net.name if net is not None else scoped_name(project.name, key)


def volume_engine_name(project, key: str) -> str:
    vol = project.volumes.get(key)
    return vol.name if vol is not None else key


def project_container_name(project, service, number: int) -> str:
    """The name of container ``number`` of ``service``: its container_name, if it has one."""
    return service.container_name or container_name(project.name, service.name, number)
