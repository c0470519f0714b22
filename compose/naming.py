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
