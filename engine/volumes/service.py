"""VolumeService: named and anonymous volumes (local driver) and mount preparation.

    eng.volumes.create(VolumeSpec(name="db", labels={...}))        -> VolumeInfo
    eng.volumes.prepare_mounts(cid, spec.mounts, rootfs_dir)       -> [(host path, target, Mount)]
    eng.volumes.release(cid, remove_anonymous=True)                 (at container rm)

On disk (engine.layout ``volumes/<name>/``)::

    volume.json     {"name", "driver", "labels", "options", "created", "anonymous"}
    _data/          the data (the mountpoint; type/o/device options mount onto it)
    users/<cid>     one empty file per container using the volume ("volume is in use")

A user record whose container directory no longer exists is stale and ignored.
"""
from __future__ import annotations

import os
import re
import shutil
from engine.records import replace
from datetime import datetime, timezone

from ..errors import Conflict, InvalidArgument, NotFound, RuntimeFailure
from ..layout import read_json, write_json
from ..locks import flock
from ..types import Mount, VolumeInfo, VolumeSpec
from . import mounting

NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
ANON_LABEL = "com.docker.volume.anonymous"
LOCAL_OPTS = ("type", "o", "device")


class VolumeService:
    def __init__(self, engine) -> None:
        self.engine = engine
        self.layout = engine.layout

    # ------------------------------------------------------------------ CRUD
    def create(self, spec: VolumeSpec) -> VolumeInfo:
        anonymous = not spec.name
        import secrets
        name = spec.name or secrets.token_hex(32)
        _validate(name, spec)
        labels = dict(spec.labels)
        if anonymous:
            labels.setdefault(ANON_LABEL, "")
        with self._lock():
            meta = read_json(self._dir(name) / "volume.json")
            if meta:
                if meta["driver"] != (spec.driver or "local") or meta["options"] != dict(spec.driver_opts):
                    raise Conflict(f"create {name}: volume {name} already exists with different "
                                   f"driver options (remove it first, or use the same options)")
                return self._info(meta)
            meta = {"name": name, "driver": spec.driver or "local", "labels": labels,
                    "options": dict(spec.driver_opts), "anonymous": anonymous,
                    "created": datetime.now(timezone.utc).isoformat(timespec="seconds")
                    .replace("+00:00", "Z")}
            try:
                (self._dir(name) / "_data").mkdir(parents=True, exist_ok=True)
                (self._dir(name) / "users").mkdir(exist_ok=True)
                write_json(self._dir(name) / "volume.json", meta)
            except OSError as e:
                shutil.rmtree(self._dir(name), ignore_errors=True)
                raise RuntimeFailure(f"create {name}: {e.strerror}") from e
        return self._info(meta)

    def inspect(self, name: str) -> VolumeInfo:
        return self._info(self._meta(name))

    def inspect_dict(self, name: str) -> dict:
        meta = self._meta(name)
        return {"CreatedAt": meta["created"], "Driver": meta["driver"], "Labels": meta["labels"],
                "Mountpoint": str(self._dir(name) / "_data"), "Name": name,
                "Options": meta["options"] or None, "Scope": "local"}

    def list(self, filters: dict | None = None) -> list[VolumeInfo]:
        out = []
        for name in self._names():
            meta = read_json(self._dir(name) / "volume.json")
            if meta and self._matches(meta, filters or {}):
                out.append(self._info(meta))
        return out

    def remove(self, name: str, force: bool = False) -> None:
        try:
            meta = self._meta(name)
        except NotFound:
            if force:
                return
            raise
        with self._lock():
            users = self.users(name)
            if users:
                raise Conflict(f"remove {name}: volume is in use - [{', '.join(users)}]")
            mounting.unmount_data(self._dir(name) / "_data")
            shutil.rmtree(self._dir(meta["name"]))

    def prune(self, filters: dict | None = None, all: bool = False) -> list[str]:
        """Remove unused volumes: anonymous ones only unless ``all`` (Docker >= 23)."""
        removed = []
        for info in self.list(filters):
            if (info.anonymous or all) and not self.users(info.name):
                try:
                    self.remove(info.name)
                except (Conflict, NotFound):
                    continue
                removed.append(info.name)
        return removed

    def users(self, name: str) -> list[str]:
        """Ids of existing containers recorded as using the volume."""
        try:
            cids = os.listdir(self._dir(name) / "users")
        except FileNotFoundError:
            return []
        return sorted(c for c in cids if self.layout.container_dir(c).exists())

    # ------------------------------------------------------------------ for the runtime
    def prepare_mounts(self, container_id: str, mounts, rootfs_dir: str) -> list[tuple[str, str, Mount]]:
        """Host paths for bind and volume mounts, in order; tmpfs mounts come back as
        (None, target, mount) for the runtime to mount itself. Creates missing named
        and anonymous volumes, copies image content into empty volumes, records the use.
        On error nothing made here is left behind."""
        out, created, recorded = [], [], []
        seen: set[str] = set()
        for m in mounts:
            target = "/" + m.target.strip("/")
            if target in seen:
                raise InvalidArgument(f"Duplicate mount point: {m.target}")
            seen.add(target)
        mounts = tuple(mounts) + self._volumes_from(container_id, mounts)
        anon_map = read_json(self._anon_file(container_id), {}) or {}
        try:
            for m in mounts:
                if m.type == "bind":
                    out.append((mounting.bind_source(m), m.target, m))
                elif m.type == "volume":
                    meta, fresh = self._volume_for(m, anon_map)
                    if fresh:
                        created.append(meta["name"])
                    name = meta["name"]
                    if not m.source:
                        anon_map["/" + m.target.strip("/")] = name
                    data = self._dir(name) / "_data"
                    mounting.mount_data(data, meta["options"], name)
                    self._add_user(name, container_id)
                    recorded.append(name)
                    if not m.nocopy and not m.subpath:
                        mounting.copy_up(rootfs_dir, m.target, data)
                    source = mounting.subpath_source(data, m.subpath, name) if m.subpath else str(data)
                    out.append((source, m.target, replace(m, source=name)))
                elif m.type == "tmpfs":
                    out.append((None, m.target, m))     # mounted by the runtime itself
                else:
                    raise InvalidArgument(f"mount {m.target}: unknown mount type {m.type!r}")
            if anon_map:
                write_json(self._anon_file(container_id), anon_map)
        except BaseException:
            for name in recorded:
                (self._dir(name) / "users" / container_id).unlink(missing_ok=True)
            for name in created:
                shutil.rmtree(self._dir(name), ignore_errors=True)
            raise
        return out

    def release(self, container_id: str, remove_anonymous: bool = False) -> list[str]:
        """Forget a removed container's uses; remove its anonymous volumes if asked. -> removed."""
        removed = []
        self._anon_file(container_id).unlink(missing_ok=True)
        for name in self._names():
            marker = self._dir(name) / "users" / container_id
            if not marker.exists():
                continue
            marker.unlink(missing_ok=True)
            meta = read_json(self._dir(name) / "volume.json") or {}
            others = [c for c in self.users(name) if c != container_id]
            if not others and meta.get("options"):
                mounting.unmount_data(self._dir(name) / "_data")
            if remove_anonymous and meta.get("anonymous") and not others:
                try:
                    self.remove(name)
                    removed.append(name)
                except Conflict:
                    pass
        return removed

    def _volumes_from(self, container_id: str, own) -> tuple:
        """Mounts inherited through the container's ``volumes_from`` ("<container>[:ro|:rw]"):
        the other container's bind and volume mounts, at the same targets, unless the container
        mounts something there itself."""
        try:
            refs = self.engine.containers.inspect(container_id).spec.volumes_from
        except Exception:                  # noqa: BLE001 - no runtime / no such container: none
            return ()
        taken = {m.target for m in own}
        extra = []
        for ref in refs:
            name, _, mode = ref.partition(":")
            if name.startswith("container:"):
                name, _, mode = ref[len("container:"):].partition(":")
            other = self.engine.containers.inspect(name)
            for m in other.mounts or other.spec.mounts:
                if m.type not in ("bind", "volume") or m.target in taken or not m.source:
                    continue
                read_only = m.read_only if mode not in ("ro", "rw") else mode == "ro"
                extra.append(replace(m, read_only=read_only, nocopy=True))
                taken.add(m.target)
        return tuple(extra)

    # ------------------------------------------------------------------ helpers
    def _anon_file(self, cid: str):
        """{target: volume name} of a container's anonymous volumes: the same ones are mounted
        again at every start (Docker makes them once, at create)."""
        return self.layout.volumes / ".anonymous" / f"{cid}.json"

    def _volume_for(self, m: Mount, anon_map: dict) -> tuple[dict, bool]:
        name = m.source
        if name and name.startswith("/"):
            raise InvalidArgument(f"mount {m.target}: a volume source must be a name, not the path "
                                  f"{name} (use a bind mount for host paths)")
        if not name:
            name = anon_map.get("/" + m.target.strip("/"), "")
            existing = read_json(self._dir(name) / "volume.json") if name else None
            if existing:
                return existing, False
            name = ""
        existing = read_json(self._dir(name) / "volume.json") if name else None
        if existing:
            return existing, False
        info = self.create(VolumeSpec(name=name or ""))
        return self._meta(info.name), True

    def _add_user(self, name: str, cid: str) -> None:
        users = self._dir(name) / "users"
        users.mkdir(exist_ok=True)
        (users / cid).touch()

    def _lock(self):
        return flock(self.layout.lock_file("volumes"), what="volumes")

    def _dir(self, name: str):
        return self.layout.volume_dir(name)

    def _names(self) -> list[str]:
        try:
            return sorted(n for n in os.listdir(self.layout.volumes) if not n.startswith("."))
        except FileNotFoundError:
            return []

    def _meta(self, name: str) -> dict:
        meta = read_json(self._dir(name) / "volume.json") if name and "/" not in name else None
        if not meta:
            raise NotFound(f"get {name}: no such volume")
        return meta

    def _info(self, meta: dict) -> VolumeInfo:
        return VolumeInfo(name=meta["name"], driver=meta["driver"],
                          mountpoint=str(self._dir(meta["name"]) / "_data"), labels=meta["labels"],
                          options=meta["options"], created=meta["created"],
                          anonymous=meta.get("anonymous", False))

    def _matches(self, meta: dict, filters: dict) -> bool:
        for key, values in filters.items():
            values = [values] if isinstance(values, (str, bool)) else list(values)
            if not values:
                continue
            if key == "label":
                for want in values:
                    k, eq, v = want.partition("=")
                    if k not in meta["labels"] or (eq and meta["labels"][k] != v):
                        return False
            elif key == "name":
                if not any(v in meta["name"] for v in values):
                    return False
            elif key == "driver":
                if meta["driver"] not in values:
                    return False
            elif key == "dangling":
                want = str(values[0]).lower() in ("true", "1")
                if want != (not self.users(meta["name"])):
                    return False
            else:
                raise InvalidArgument(f"invalid filter {key!r}")
        return True


def _validate(name: str, spec: VolumeSpec) -> None:
    if not NAME_RE.match(name):
        raise InvalidArgument(f"create {name}: {name!r} includes invalid characters for a local volume "
                              f"name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended "
                              f"to pass a host directory, use absolute path")
    if (spec.driver or "local") != "local":
        raise InvalidArgument(f"create {name}: volume driver {spec.driver!r} is not supported "
                              f"(only \"local\")")
    for key in spec.driver_opts:
        if key not in LOCAL_OPTS:
            raise InvalidArgument(f"create {name}: invalid option key: {key!r} (local driver "
                                  f"accepts type, o, device)")
    opts = spec.driver_opts
    if opts and not opts.get("type"):
        raise InvalidArgument(f"create {name}: driver option \"type\" is required with o / device")
    if opts.get("type") not in (None, "tmpfs") and not opts.get("device"):
        raise InvalidArgument(f"create {name}: driver option \"device\" is required for type "
                              f"{opts.get('type')}")
