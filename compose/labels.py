"""Docker Compose's label vocabulary (``docker/compose:pkg/api/labels.go``) and helpers.

Every engine object a project owns carries ``com.docker.compose.project``; containers also
carry the service, number, one-off flag, config hash and image id, networks and volumes
their key. ``compose ls`` and ``down -p X`` without a file work purely from these labels.
"""
from __future__ import annotations

PREFIX = "com.docker.compose"
PROJECT = f"{PREFIX}.project"
SERVICE = f"{PREFIX}.service"
CONTAINER_NUMBER = f"{PREFIX}.container-number"
ONEOFF = f"{PREFIX}.oneoff"
SLUG = f"{PREFIX}.slug"
CONFIG_HASH = f"{PREFIX}.config-hash"
IMAGE = f"{PREFIX}.image"
DEPENDS_ON = f"{PREFIX}.depends_on"
WORKING_DIR = f"{PREFIX}.project.working_dir"
CONFIG_FILES = f"{PREFIX}.project.config_files"
ENVIRONMENT_FILE = f"{PREFIX}.project.environment_file"
VERSION = f"{PREFIX}.version"
REPLACE = f"{PREFIX}.replace"
NETWORK = f"{PREFIX}.network"
VOLUME = f"{PREFIX}.volume"
CONTAINER_REPLACE = REPLACE

COMPOSE_VERSION = "2.40.3"          # the Docker Compose version whose behaviour we follow


def project_filter(project: str, *extra: str) -> dict:
    """An engine ``filters`` mapping selecting this project's objects."""
    return {"label": [f"{PROJECT}={project}", *extra]}


def is_oneoff(labels: dict) -> bool:
    return str(labels.get(ONEOFF, "False")).lower() == "true"


def container_number(labels: dict) -> int:
    try:
        return int(labels.get(CONTAINER_NUMBER, "0"))
    except ValueError:
        return 0


def depends_on_label(depends_on: dict) -> str:
    """``a:service_started:false,b:service_healthy:true`` (sorted by service name)."""
    parts = []
    for name in sorted(depends_on):
        dep = depends_on[name]
        parts.append(f"{name}:{dep.condition}:{str(bool(dep.restart)).lower()}")
    return ",".join(parts)


def container_labels(project, service_name: str, number: int, config_hash: str,
                     image_id: str, *, oneoff: bool = False, slug: str = "",
                     depends_on: str = "") -> dict:
    """The compose labels of one service container (user labels are merged by the caller)."""
    labels = {
        PROJECT: project.name,
        SERVICE: service_name,
        CONTAINER_NUMBER: str(number),
        ONEOFF: "True" if oneoff else "False",
        CONFIG_HASH: config_hash,
        IMAGE: image_id,
        DEPENDS_ON: depends_on,
        WORKING_DIR: str(project.working_dir),
        CONFIG_FILES: ",".join(str(f) for f in project.config_files),
        VERSION: COMPOSE_VERSION,
    }
    env_files = getattr(project, "env_files", None) or ()
    if env_files:
        labels[ENVIRONMENT_FILE] = ",".join(str(f) for f in env_files)
    if slug:
        labels[SLUG] = slug
    return labels


def network_labels(project_name: str, key: str, config_hash: str = "") -> dict:
    labels = {PROJECT: project_name, NETWORK: key, VERSION: COMPOSE_VERSION}
    if config_hash:
        labels[CONFIG_HASH] = config_hash
    return labels


def volume_labels(project_name: str, key: str, config_hash: str = "") -> dict:
    labels = {PROJECT: project_name, VOLUME: key, VERSION: COMPOSE_VERSION}
    if config_hash:
        labels[CONFIG_HASH] = config_hash
    return labels
