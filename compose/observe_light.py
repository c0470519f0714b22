"""compose.observe.observe() from the engine's records, without the engine services.

    observed = observe_light(root, project, image_names)     # Observed, or None: not sure

For the no-op ``up`` path (compose.cli.up_light): the engine services import engine.types,
engine.layout and the runtime, network, volume and image machinery (~60 ms of imports), only
to read a few JSON records. This reads the same records through the engine's read-only query
modules (engine/runtime/query.py, engine/images/query.py, engine/volumes/query.py,
engine/network/query.py) and fills the same Observed the planner reads:

* containers: every container labelled with the project (ContainerView: the ContainerInfo
  fields the planner reads, the status derived from the kernel as the store does);
* networks: the project-labelled ones, then the declared ones by name (NetworkView);
* volumes: the declared ones by name (VolumeView; observe() also lists other volumes labelled
  with the project, which plan_up never reads);
* image_ids: service -> image id, ``image_names`` mapping each image reference to its
  normalised ``name:tag`` (compose.project_cache stores it with the project).

None whenever a query is not sure (a record the full service would repair or read
differently, a name needing the network service's special cases, an image reference that is
not a plain tag, an image that is not present): the caller then takes the full path.
"""
from __future__ import annotations

from engine.images.query import ImageIndexView
from engine.network.query import MISSING as NET_MISSING
from engine.network.query import NetworkRecords
from engine.runtime.query import labelled_containers
from engine.volumes.query import MISSING as VOL_MISSING
from engine.volumes.query import volume

from . import labels as L
from .naming import image_ref
from .observe import Observed


def observe_light(root: str, project, image_names: dict, containers=None):
    """``containers``: project_containers(root, project) the caller read already."""
    label = f"{L.PROJECT}={project.name}"
    obs = Observed(project=project.name)
    if containers is None:
        containers = labelled_containers(root, label)
    if containers is None:
        return None
    obs.containers = containers
    if not _networks(obs, root, project, label) or not _volumes(obs, root, project):
        return None
    index = ImageIndexView(root)
    for svc in project.services.values():
        tagged = image_names.get(image_ref(project, svc))
        image_id = index.tagged_image_id(tagged) if tagged else None
        if image_id is None:
            return None
        obs.image_ids[svc.name] = image_id
    return obs


def project_containers(root: str, project):
    """The project's containers (ContainerViews), None if not sure."""
    return labelled_containers(root, f"{L.PROJECT}={project.name}")


def _networks(obs, root: str, project, label: str) -> bool:
    records = NetworkRecords(root)
    labelled = records.labelled(label)
    if labelled is None:
        return False
    for net in labelled:
        obs.networks[net.name] = net
    for net in project.networks.values():
        if net.name not in obs.networks:
            found = records.find(net.name)
            if found is None:
                return False
            if found is not NET_MISSING:
                obs.networks[net.name] = found
    return True


def _volumes(obs, root: str, project) -> bool:
    for vol in project.volumes.values():
        found = volume(root, vol.name)
        if found is None:
            return False
        if found is not VOL_MISSING:
            obs.volumes[vol.name] = found
    return True
