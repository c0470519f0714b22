"""NetworkService: bridge networks (create / remove / list / inspect / prune / connect /
disconnect) and the network sandbox of a container (setup_sandbox / teardown_sandbox, in
sandbox.py).

    eng.networks.create(NetworkSpec(name="app_default", labels={...}))  -> NetworkInfo
    eng.networks.setup_sandbox(container_info)                          -> Sandbox
    eng.networks.teardown_sandbox(container_id)                         (idempotent)

State: engine.layout ``networks/<id>/`` (see store.py), ``<runroot>/sandboxes/<cid>.json``,
``<runroot>/netns/<cid>``. Host-wide state (bridges, iptables rules, subnets) is changed under
one host-wide lock (firewall.host_lock) since several engine roots may share the machine.
"""
from __future__ import annotations

import os

from ..errors import Conflict, InvalidArgument, NetworkError, NotFound
from . import predefined, store

# Imported where used (a CLI call pays ~0.4 ms per module, more for these): ipaddress, ipam,
# bridge / firewall / sysnet (create, remove), engine.types (objects handed back), sandbox
# (connect / containers): `network ls` and `inspect` import none of them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..types import EndpointSpec, NetworkInfo, NetworkSpec, Sandbox

NAME_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$"
DEFAULT_NETWORK = "bridge"
RESERVED_NAMES = ("host", "none", "default")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def __getattr__(name: str):
    if name == "NAME_RE":                    # the compiled pattern, as before (re on demand)
        import re
        return re.compile(NAME_PATTERN)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class NetworkService:
    def __init__(self, engine) -> None:
        self.engine = engine
        # plain-string paths (engine.layout.Paths): listing, inspecting, creating and removing
        # networks never import pathlib; self.layout (pathlib) is the engine's, made on demand
        paths = getattr(engine, "paths", None)
        if paths is None:
            from ..layout import Paths
            paths = Paths(str(engine.layout.root), str(engine.layout.runroot))
        self.paths = paths

    @property
    def layout(self):
        return self.engine.layout

    # ------------------------------------------------------------------ networks
    def create(self, spec: NetworkSpec) -> NetworkInfo:
        return store.to_info(self.create_record(spec_request(spec)), {})

    def create_record(self, request: dict) -> dict:
        """create() from a plain request (spec_request's form: NetworkSpec's fields, pools as
        dicts) -> the stored network record. `network create` comes this way: the common
        case (no explicit pool) imports neither engine.types nor ipaddress."""
        name = request["name"]
        if name in predefined.DRIVERS:
            raise Conflict(f"operation is not permitted on predefined {name} network")
        _validate_request(request)
        from . import bridge, firewall
        with firewall.host_lock():
            existing = store.all_records(self.paths)
            if any(r["name"] == name for r in existing):
                raise Conflict(f"network with name {name} already exists")
            rec = self._new_record(request, existing)
            from .sysnet import link_exists
            if link_exists(rec["bridge"]):
                raise Conflict(f"network {name}: a network interface named {rec['bridge']} "
                               f"already exists on the host")
            try:
                bridge.ensure_bridge(rec, fresh=True)
                store.save(self.paths, rec)
                store.write_endpoints(self.paths, rec, {})
            except BaseException:
                bridge.remove_bridge(rec)
                _remove_tree(self.paths.network_dir(rec["id"]))
                raise
        return rec

    def _new_record(self, req: dict, existing: list) -> dict:
        from . import bridge, ipam
        name, pools_asked, opts = req["name"], req["ipam"], req["driver_opts"]
        net_id = store.new_id()
        rec = {"id": net_id, "name": name, "driver": req["driver"] or "bridge",
               "internal": req["internal"], "attachable": req["attachable"],
               "enable_ipv6": req["enable_ipv6"], "ipam_driver": req["ipam_driver"] or "default",
               "labels": dict(req["labels"]), "options": dict(opts), "created": store.now(),
               "bridge": opts.get("com.docker.network.bridge.name") or bridge.bridge_name(net_id),
               "requested_pools": [dict(p, aux_addresses=dict(p["aux_addresses"]))
                                   for p in pools_asked],
               "default": name == DEFAULT_NETWORK}
        if len(rec["bridge"]) > 15:
            raise InvalidArgument(f"bridge name {rec['bridge']!r} is longer than 15 characters")
        pools = [p for p in pools_asked if p["subnet"] and ":" not in p["subnet"]]
        if pools:
            import ipaddress
            ours = [ipaddress.ip_network(r["subnet"]) for r in existing]
            subnet, ip_range, gateway, aux = ipam.parse_pool(_pool(pools[0]), name)
            for other in ours + _foreign_bridge_routes():
                if subnet.overlaps(other):
                    raise Conflict(f"invalid pool request: Pool overlaps with other one on this "
                                   f"address space ({subnet} overlaps {other})")
            gateway = gateway or next(subnet.hosts())
            rec.update(subnet=str(subnet), ip_range=str(ip_range) if ip_range else "",
                       gateway=str(gateway), aux=aux)
        else:
            if any(p["gateway"] or p["ip_range"] for p in pools_asked if ":" not in p["subnet"]):
                raise InvalidArgument(f"network {name}: a gateway or ip_range needs a subnet")
            subnet, gateway = ipam.pick_free_subnet([r["subnet"] for r in existing])
            rec.update(subnet=subnet, ip_range="", gateway=gateway, aux={})
        if req["enable_ipv6"] or any(":" in p["subnet"] for p in pools_asked):
            import ipaddress
            rec.update(_ipv6_pool(req, ours6=[ipaddress.ip_network(r["subnet6"])
                                              for r in existing if r.get("subnet6")]))
        return rec

    def remove(self, name_or_id: str, *, predefined: bool = False) -> None:
        """Remove an unused network. The default ``bridge`` network is predefined (like
        Docker's) and only goes with ``predefined=True`` (engine cleanup)."""
        if name_or_id == DEFAULT_NETWORK and not predefined:     # without creating it first
            raise Conflict(f"{name_or_id} is a pre-defined network and cannot be removed")
        rec = store.find(self.paths, name_or_id) if name_or_id == DEFAULT_NETWORK \
            else self._find(name_or_id)
        if rec.get("predefined") or (rec.get("default") and not predefined):
            raise Conflict(f"{rec['name']} is a pre-defined network and cannot be removed")
        # no host lock: deleting rules (one atomic restore) and a device never races a subnet
        # choice (a route still there only makes another engine's choice more cautious)
        from . import bridge
        with store.lock(self.paths, rec["id"]):
            users = self._live_endpoints(rec, locked=True) or self._attached(rec)
            if users:
                raise Conflict(f"error while removing network: network {rec['name']} id "
                               f"{rec['id']} has active endpoints")
            bridge.remove_bridge(rec)
            _remove_tree(self.paths.network_dir(rec["id"]))

    def inspect(self, name_or_id: str) -> NetworkInfo:
        rec = self._find(name_or_id)
        return store.to_info(rec, self._live_endpoints(rec))

    def inspect_dict(self, name_or_id: str) -> dict:
        rec = self._find(name_or_id)
        return store.inspect_doc(rec, self._live_endpoints(rec))

    def list(self, filters: dict | None = None) -> list[NetworkInfo]:
        """Our networks and Docker's predefined ``host`` and ``none`` (never stored)."""
        return [store.to_info(rec, eps) for rec, eps in self.list_records(filters)]

    def list_records(self, filters: dict | None = None) -> list[tuple[dict, dict]]:
        """(record, live endpoints) of each network list() shows (no engine.types objects:
        what ``network ls`` needs)."""
        out = []
        records = store.all_records(self.paths)
        if not any(rec.get("default") for rec in records) and _matches(_UNMADE_DEFAULT, filters or {}):
            # Docker always lists "bridge" (docker0 exists); made only when the filters could
            # show it (compose's label lookups never make it); a listing never fails for it
            try:
                self.default_network()
            except NetworkError:
                pass
            records = store.all_records(self.paths)
        for rec in records + predefined.records(self.paths):
            if _matches(rec, filters or {}):
                out.append((rec, self._live_endpoints(rec)))
        return out

    def _find(self, name_or_id: str) -> dict:
        """A network record by name, id or unique id prefix, the predefined ones included."""
        if name_or_id in predefined.DRIVERS:
            return predefined.record(self.paths, name_or_id)
        try:
            return store.find(self.paths, name_or_id)
        except NotFound:
            if name_or_id == DEFAULT_NETWORK:
                return self.default_network()       # exists before first use, like docker0
            rec = predefined.find(self.paths, name_or_id)
            if rec is None:
                raise
            return rec

    def prune(self, filters: dict | None = None) -> list[str]:
        removed = []
        for info in self.list(filters):
            if info.name == DEFAULT_NETWORK or info.name in predefined.DRIVERS:
                continue
            try:
                self.remove(info.id)
            except (Conflict, NotFound):
                continue
            removed.append(info.name)
        return removed

    def _live_endpoints(self, rec: dict, locked: bool = False) -> dict:
        """Endpoints whose network namespace still exists (stale ones are dropped on the way).
        ``locked``: the caller holds the network's lock already. For ``host`` / ``none``: the
        running containers in that network mode."""
        if rec.get("predefined"):
            return predefined.containers(self.paths, rec["name"])
        eps = store.endpoints(self.paths, rec["id"])
        if not eps:
            return eps
        from .netns import is_netns
        live = {cid: ep for cid, ep in eps.items() if is_netns(ep.get("netns", ""))}
        if len(live) != len(eps):
            if locked:
                return self._drop_stale(rec)
            with store.lock(self.paths, rec["id"]):
                return self._drop_stale(rec)
        return live

    def _drop_stale(self, rec: dict) -> dict:
        """Rewrite the endpoint table without endpoints whose netns is gone (network lock
        held); delete their host-side veths. -> the live endpoints."""
        from .netns import is_netns
        eps = store.endpoints(self.paths, rec["id"])
        live = {cid: ep for cid, ep in eps.items() if is_netns(ep.get("netns", ""))}
        for cid in set(eps) - set(live):
            from . import sysnet
            sysnet.delete_link(eps[cid].get("veth", ""))
        store.write_endpoints(self.paths, rec, live)
        return live

    def _attached(self, rec: dict) -> dict:
        """Containers connected with connect() that still exist."""
        return {cid: ep for cid, ep in store.attached(self.paths, rec["id"]).items()
                if os.path.exists(self.paths.container_dir(cid))}

    # ------------------------------------------------------------------ connect / disconnect
    def connect(self, network: str, container_id: str, endpoint: EndpointSpec | None = None) -> None:
        from ..types import EndpointSpec
        self.connect_request(network, container_id,
                             store.endpoint_spec_dict(endpoint or EndpointSpec()))

    def connect_request(self, network: str, container_id: str, endpoint: dict) -> None:
        """connect() with the endpoint as a plain dict (store.endpoint_spec_dict's form: every
        EndpointSpec field, aliases a list): `network connect` comes this way, without
        importing engine.types."""
        from types import SimpleNamespace

        from . import sandbox
        rec = self._find(network)
        _refuse_predefined(rec)
        mode = self._network_mode(container_id)
        if mode in ("none", "host") or mode.startswith("container:"):
            raise Conflict(f"container {container_id[:12]} uses network mode {mode!r} and cannot "
                           f"be connected to network {rec['name']}")
        if rec.get("default") and endpoint["aliases"]:
            raise InvalidArgument("network-scoped aliases are only supported for user-defined networks")
        with store.lock(self.paths, rec["id"]):
            att = store.attached(self.paths, rec["id"])
            if container_id in att or container_id in store.endpoints(self.paths, rec["id"]):
                raise Conflict(f"endpoint with name {container_id[:12]} already exists in "
                               f"network {rec['name']}")
        sandbox.hot_plug(self, rec, container_id, SimpleNamespace(**endpoint))
        with store.lock(self.paths, rec["id"]):
            att = store.attached(self.paths, rec["id"])
            att[container_id] = endpoint
            store.write_attached(self.paths, rec["id"], att)

    def _network_mode(self, container_id: str) -> str:
        state = store.read_json(self.paths.sandbox_file(container_id)) or {}
        if state.get("mode"):
            return state["mode"]
        try:
            return self.engine.containers.inspect(container_id).spec.network_mode or ""
        except Exception:              # noqa: BLE001 - no runtime / unknown container: no mode
            return ""

    def disconnect(self, network: str, container_id: str, force: bool = False) -> None:
        from . import sandbox
        rec = self._find(network)
        _refuse_predefined(rec)
        with store.lock(self.paths, rec["id"]):
            att = store.attached(self.paths, rec["id"])
            live = container_id in store.endpoints(self.paths, rec["id"])
            if container_id not in att and not live and not force:
                raise NotFound(f"container {container_id[:12]} is not connected to network "
                               f"{rec['name']}")
            att.pop(container_id, None)
            store.write_attached(self.paths, rec["id"], att)
        sandbox.hot_unplug(self, rec, container_id)

    def connected_extra(self, container_id: str) -> dict:
        """{network name: EndpointSpec} of networks joined with connect()."""
        out = {}
        for rec in store.all_records(self.paths):
            spec = store.attached(self.paths, rec["id"]).get(container_id)
            if spec is not None:
                out[rec["name"]] = store.endpoint_spec_from(spec)
        return out

    def forget_container(self, container_id: str) -> None:
        """Drop connect() records of a removed container (called by teardown with remove)."""
        for rec in store.all_records(self.paths):
            with store.lock(self.paths, rec["id"]):
                att = store.attached(self.paths, rec["id"])
                if att.pop(container_id, None) is not None:
                    store.write_attached(self.paths, rec["id"], att)

    def default_network(self) -> dict:
        """The record of the default "bridge" network (docker0-like), created on first use
        (or first listing); its bridge then stays until an explicit remove(predefined=True)."""
        try:
            return store.find(self.paths, DEFAULT_NETWORK)
        except NotFound:
            pass
        from ..types import NetworkSpec
        try:
            self.create(NetworkSpec(name=DEFAULT_NETWORK, driver="bridge"))
        except Conflict:
            pass                                 # created meanwhile by another process
        return store.find(self.paths, DEFAULT_NETWORK)

    # ------------------------------------------------------------------ sandboxes
    def setup_sandbox(self, info) -> Sandbox:
        from . import sandbox
        return sandbox.setup(self, info)

    def teardown_sandbox(self, container_id: str) -> None:
        from . import sandbox
        sandbox.teardown(self, container_id)

    def container_networks(self, container_id: str) -> dict:
        """The live endpoints of a running container's sandbox, in Sandbox.endpoints form
        (reflects connect/disconnect done after start); {} when it has no sandbox."""
        from . import sandbox
        return sandbox.live_endpoints(self, container_id)

    def reconcile(self) -> list[str]:
        """Release what dead sandboxes hold (netns gone after a reboot / kill -9). -> their ids."""
        from . import sandbox
        return sandbox.reconcile(self)


def _remove_tree(path: str) -> None:
    """shutil.rmtree(path, ignore_errors=True) without importing shutil (~6 ms): a network's
    directory holds a few files (and nothing deeper than a stray subdirectory)."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                _remove_tree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            pass
    try:
        os.rmdir(path)
    except OSError:
        pass


def _refuse_predefined(rec: dict) -> None:
    if rec.get("predefined"):
        raise Conflict(f"container cannot be disconnected from {rec['name']} network or "
                       f"connected to {rec['name']} network")


def _valid_name(name: str) -> bool:
    """NAME_PATTERN without re: [a-zA-Z0-9][a-zA-Z0-9_.-]* (ASCII only, like the pattern)."""
    return bool(name) and name[0] not in "_.-" and _NAME_CHARS.issuperset(name)


def spec_request(spec: NetworkSpec) -> dict:
    """A NetworkSpec as create_record's request (its fields; pools as dicts)."""
    return {"name": spec.name, "driver": spec.driver, "internal": spec.internal,
            "attachable": spec.attachable, "enable_ipv6": spec.enable_ipv6,
            "ipam_driver": spec.ipam_driver, "ipam": [dict(vars(p)) for p in spec.ipam],
            "driver_opts": dict(spec.driver_opts), "labels": dict(spec.labels)}


def _pool(pool: dict):
    """A requested pool as the engine.types.IPAMPool that ipam.parse_pool* validate."""
    from ..types import IPAMPool
    return IPAMPool(**pool)


def _validate_request(req: dict) -> None:
    name, pools = req["name"], req["ipam"]
    if not _valid_name(name):
        raise InvalidArgument(f"invalid network name {name!r}: only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                              f"are allowed")
    if name in RESERVED_NAMES:
        raise Conflict(f"network name {name} is reserved (predefined network)")
    if req["driver"] not in ("bridge", ""):
        raise InvalidArgument(f"network {name}: driver {req['driver']!r} is not supported "
                              f"(only \"bridge\")")
    if req["ipam_driver"] not in ("default", ""):
        raise InvalidArgument(f"network {name}: IPAM driver {req['ipam_driver']!r} is not "
                              f"supported (only \"default\")")
    if len([p for p in pools if p["subnet"] and ":" not in p["subnet"]]) > 1:
        raise InvalidArgument(f"network {name}: only one IPv4 pool per network is supported")
    if len([p for p in pools if ":" in p["subnet"]]) > 1:
        raise InvalidArgument(f"network {name}: only one IPv6 pool per network is supported")


def _ipv6_pool(req: dict, ours6: list) -> dict:
    """{subnet6, gateway6} of an IPv6 network: its IPv6 pool, or a random ULA /64."""
    from . import ipam
    name = req["name"]
    pools6 = [p for p in req["ipam"] if ":" in p["subnet"]]
    if pools6 and not req["enable_ipv6"]:
        raise InvalidArgument(f"network {name}: IPv6 subnet {pools6[0]['subnet']} given but "
                              f"IPv6 is not enabled (set enable_ipv6: true / --ipv6)")
    if not req["enable_ipv6"]:
        return {}
    if pools6:
        subnet, gateway = ipam.parse_pool6(_pool(pools6[0]), name)
        for other in ours6:
            if subnet.overlaps(other):
                raise Conflict(f"invalid pool request: Pool overlaps with other one on this "
                               f"address space ({subnet} overlaps {other})")
    else:
        subnet, gateway = ipam.pick_subnet6(ours6), None
    gateway = gateway or subnet.network_address + 1
    return {"subnet6": str(subnet), "gateway6": str(gateway)}


def _foreign_bridge_routes() -> list:
    """Subnets routed to other pycompose engines' bridges on this host."""
    from . import ipam
    from .firewall import BRIDGE_PREFIX
    return [net for dev, net in ipam.host_route_table() if dev.startswith(BRIDGE_PREFIX)]


# what the default network's record would match on before it exists (its id is not known yet)
_UNMADE_DEFAULT = {"name": DEFAULT_NETWORK, "driver": "bridge", "labels": {}, "id": "", "default": True}


def _matches(rec: dict, filters: dict) -> bool:
    for key, values in filters.items():
        values = [values] if isinstance(values, str) else list(values)
        if not values:
            continue
        if key == "label":
            for want in values:
                k, eq, v = want.partition("=")
                if k not in rec["labels"] or (eq and rec["labels"][k] != v):
                    return False
        elif key == "name":
            if not any(v in rec["name"] for v in values):
                return False
        elif key == "id":
            if not any(rec["id"].startswith(v) for v in values):
                return False
        elif key == "driver":
            if rec["driver"] not in values:
                return False
        elif key == "type":
            kind = "builtin" if rec.get("default") or rec.get("predefined") else "custom"
            if kind not in values:
                return False
        elif key in ("dangling", "scope"):
            continue
        else:
            raise InvalidArgument(f"invalid filter {key!r}")
    return True
