"""One snapshot of the engine objects that belong to a project (by label, or by name for
networks/volumes the project declares), taken before planning.

    observed = observe(engine, project)        # or observe(engine, None, name="demo")

The planner only ever reads this snapshot, which keeps it a pure function.
"""
from __future__ import annotations

from engine.records import field, record

from engine.errors import NotFound

from . import labels as L
from .naming import image_ref


@record
class Observed:
    project: str
    containers: list = field(default_factory=list)     # ContainerInfo (all states, incl. one-off)
    networks: dict = field(default_factory=dict)       # engine name -> NetworkInfo
    volumes: dict = field(default_factory=dict)        # engine name -> VolumeInfo
    image_ids: dict = field(default_factory=dict)      # service -> image id ("" = not present)

    def service_containers(self, service: str, *, oneoff: bool = False) -> list:
        out = [c for c in self.containers
               if c.labels.get(L.SERVICE) == service and L.is_oneoff(c.labels) == oneoff]
        return sorted(out, key=lambda c: (L.container_number(c.labels), c.name))

    def services(self) -> set[str]:
        return {c.labels.get(L.SERVICE, "") for c in self.containers}

    def oneoffs(self) -> list:
        return [c for c in self.containers if L.is_oneoff(c.labels)]


def observe(engine, project, *, name: str | None = None, images: bool = True,
            known_images: dict | None = None, containers: bool = True) -> Observed:
    """``known_images``: {ref: id} the caller inspected just before (not inspected again);
    ``containers=False``: networks and volumes only (`run`'s infrastructure plan)."""
    project_name = project.name if project is not None else name
    obs = Observed(project=project_name)
    if containers:
        obs.containers = list(engine.containers.list(all=True, filters=L.project_filter(project_name)))
    for net in engine.networks.list(filters=L.project_filter(project_name)):
        obs.networks[net.name] = net
    for vol in engine.volumes.list(filters=L.project_filter(project_name)):
        obs.volumes[vol.name] = vol
    if project is None:
        return obs
    for key, net in project.networks.items():
        if net.name not in obs.networks:
            found = _try(engine.networks.inspect, net.name)
            if found is not None:
                obs.networks[net.name] = found
    for key, vol in project.volumes.items():
        if vol.name not in obs.volumes:
            found = _try(engine.volumes.inspect, vol.name)
            if found is not None:
                obs.volumes[vol.name] = found
    if images:
        ids: dict[str, str] = dict(known_images or {})   # one inspect per distinct reference
        for svc in project.services.values():
            ref = image_ref(project, svc)
            if ref not in ids:
                info = _try(engine.images.inspect, ref)
                ids[ref] = info.id if info is not None else ""
            obs.image_ids[svc.name] = ids[ref]
    return obs


def _try(fn, arg):
    try:
        return fn(arg)
    except NotFound:
        return None
