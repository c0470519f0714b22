"""What ``pycompose network ls|inspect|create|rm|prune|connect|disconnect`` do, without typer.

Both front ends call these: the typer commands (compose/cli/network_cmd.py, which declares
the options, help texts and usage errors) and the typer-free fast path
(compose/cli/network_fast.py). ``get_engine`` is a callable returning the engine: it is made
at the same point of each command as before (after the arguments are checked).

Only light modules at import time: a network command line imports this, the engine facade
and engine.network.service, and no pathlib / typing / engine.types on ls, inspect, create
and rm.
"""
from __future__ import annotations

import sys


def echo(text: str) -> None:
    sys.stdout.write(text + "\n")


def parse_kv(values, what: str) -> dict:
    from engine.errors import InvalidArgument
    out = {}
    for v in values or []:
        key, eq, val = v.partition("=")
        if not key:
            raise InvalidArgument(f"invalid {what} {v!r}: expected key=value")
        out[key] = val
    return out


def parse_filters(values) -> dict:
    """docker-style ``--filter key=value`` options (compose.cli.options.parse_filters)."""
    if not values:
        return {}
    from .options import parse_filters as parse
    return parse(values)


def confirm(force: bool, warning: str) -> bool:
    if force:
        return True
    sys.stdout.write(f"WARNING! {warning}\nAre you sure you want to continue? [y/N] ")
    sys.stdout.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def go_time(iso: str) -> str:
    """RFC 3339 -> the docker CLI's Go time text ("2024-05-01 10:00:00.123456 +0000 UTC")."""
    if iso.endswith("Z"):
        date, _, clock = iso[:-1].partition("T")
        return f"{date} {clock} +0000 UTC"
    return iso


def record_row(rec: dict) -> dict:
    """The ``network ls`` row of a stored network record (what network_cmd._row gives for
    the NetworkInfo made of it)."""
    labels = rec.get("labels", {})
    return {"CreatedAt": go_time(rec["created"]), "Driver": rec["driver"], "ID": rec["id"][:12],
            "IPv4": "true", "IPv6": str(bool(rec.get("enable_ipv6", False))).lower(),
            "Internal": str(rec["internal"]).lower(),
            "Labels": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
            "Name": rec["name"], "Scope": "local"}


LS_COLUMNS = ["ID", "Name", "Driver", "Scope"]
LS_HEADERS = {"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE"}


def ls(get_engine, filter_, fmt: str, no_trunc: bool, quiet: bool) -> None:
    eng = get_engine()
    recs = [rec for rec, _eps in eng.networks.list_records(parse_filters(filter_))]
    rows = []
    for rec in sorted(recs, key=lambda r: r["name"]):
        row = record_row(rec)
        if no_trunc:
            row["ID"] = rec["id"]
        rows.append(row)
    if quiet:
        for row in rows:
            echo(row["ID"])
        return
    if fmt in ("", "table"):
        echo(plain_table([LS_HEADERS[c] for c in LS_COLUMNS],
                         [[row[c] for c in LS_COLUMNS] for row in rows]))
        return
    from .image_format import emit
    emit(fmt, rows, LS_COLUMNS, echo, headers=LS_HEADERS)


def plain_table(headers: list[str], rows: list[list[str]]) -> str:
    """image_format.emit's default table of plain string cells (Go's tabwriter: min width
    10, padding 3), without importing image_format and its json / re work: the default
    ``network ls``. tests/cli/test_network_fast_parity.py checks both give the same text."""
    every = [headers] + rows
    widths = [max(max(len(r[i]) for r in every) + 3, 10) for i in range(len(headers) - 1)]
    return "\n".join("".join(c.ljust(w) for c, w in zip(r, widths)).__add__(r[-1]).rstrip()
                     for r in every)


def inspect(get_engine, networks, fmt: str) -> None:
    from engine.layout import dumps           # json.dumps's text, no json package (re)
    eng = get_engine()
    docs = [eng.networks.inspect_dict(n) for n in networks]
    if fmt and fmt != "json":
        from .image_format import render_template
        for d in docs:
            echo(render_template(fmt, d))
        return
    echo(dumps(docs, indent=4))


def create(get_engine, name: str, driver: str, subnet, ip_range, gateway, aux_address,
           internal: bool, attachable: bool, ipv6: bool, ipam_driver: str, label, opt) -> None:
    """NetworkService.create of the NetworkSpec these options make, through its plain-dict
    form (create_record: no engine.types import on the common path)."""
    from engine.errors import InvalidArgument
    subnets, ranges, gateways = list(subnet or []), list(ip_range or []), list(gateway or [])
    if len(ranges) > len(subnets) or len(gateways) > len(subnets):
        raise InvalidArgument("every ip-range or gateway must have a corresponding subnet")
    pools = [{"subnet": s, "ip_range": ranges[i] if i < len(ranges) else "",
              "gateway": gateways[i] if i < len(gateways) else "",
              "aux_addresses": parse_kv(aux_address, "aux-address") if i == 0 else {}}
             for i, s in enumerate(subnets)]
    request = {"name": name, "driver": driver, "internal": internal, "attachable": attachable,
               "enable_ipv6": ipv6, "ipam_driver": ipam_driver, "ipam": pools,
               "driver_opts": parse_kv(opt, "option"), "labels": parse_kv(label, "label")}
    echo(get_engine().networks.create_record(request)["id"])


def rm(get_engine, networks, force: bool) -> None:
    from engine.errors import EngineError, NotFound
    eng = get_engine()
    failed = []
    for ref in networks:
        try:
            eng.networks.remove(ref)
            echo(ref)
        except NotFound as e:
            if not force:
                failed.append(str(e))
        except EngineError as e:
            failed.append(str(e))
    if failed:
        raise failed_error("\n".join(failed))


def prune(get_engine, filter_, force: bool) -> None:
    if not confirm(force, "This will remove all custom networks not used by at least one container."):
        return
    eng = get_engine()
    removed = eng.networks.prune(parse_filters(filter_))
    if removed:
        echo("Deleted Networks:\n" + "\n".join(removed) + "\n")


def resolve_container(eng, ref: str) -> str:
    """A container reference (name, id, prefix) -> full id: a full id or an exact name read
    straight from the container store (what the container service's lookup finds first,
    without importing it: ~40 ms of a connect), anything else through the container
    service (prefixes, errors)."""
    cid = plain_container_hit(eng.paths, ref)
    if cid is not None:
        return cid
    try:
        return eng.containers.inspect(ref).id
    except ImportError:
        import os
        if len(ref) == 64 and os.path.exists(eng.paths.container_dir(ref)):
            return ref
        raise


def plain_container_hit(paths, ref: str) -> "str | None":
    """engine.runtime.store.ContainerStore.resolve's answer when it is a full id or an exact
    name (the ids are the container dirs holding a config.json, the names their ``name``
    symlinks; the same order: id first, then names in id order); None when it would look
    further (an id prefix, no match) or a name is not readable that way."""
    import os
    ref = ref.lstrip("/") if ref.startswith("/") else ref
    try:
        entries = sorted(os.listdir(paths.containers))
    except OSError:
        return None
    ids = [cid for cid in entries if os.path.exists(f"{paths.containers}/{cid}/config.json")]
    if ref in ids:
        return ref
    for cid in ids:
        try:
            name = os.readlink(f"{paths.containers}/{cid}/name")
        except OSError:
            return None                    # no name link: the container service reads config
        if name == ref:
            return cid
    return None


def connect(get_engine, network: str, container: str, alias, ip: str, ip6: str, mac: str,
            gw_priority: int) -> None:
    eng = get_engine()
    cid = resolve_container(eng, container)
    eng.networks.connect_request(network, cid, endpoint_dict(alias, ip, ip6, mac, gw_priority))


def endpoint_dict(alias, ip: str, ip6: str, mac: str, gw_priority: int) -> dict:
    """store.endpoint_spec_dict(EndpointSpec(aliases=…, ipv4_address=…, …)) of these options,
    without importing engine.types (test_network_fast_parity checks they agree)."""
    return {"aliases": list(alias or ()), "ipv4_address": ip, "ipv6_address": ip6,
            "mac_address": mac, "priority": 0, "gw_priority": gw_priority, "driver_opts": {}}


def disconnect(get_engine, network: str, container: str, force: bool) -> None:
    eng = get_engine()
    eng.networks.disconnect(network, resolve_container(eng, container), force=force)


_FAILED = []


def failed_error(message: str) -> Exception:
    """Several removals failed: one message per line (an EngineError, so main prints it).
    The class is network_cmd._Failed (made here once, on first use)."""
    return failed_class()(message)


def failed_class() -> type:
    if not _FAILED:
        from engine.errors import EngineError
        _FAILED.append(type("Failed", (EngineError,), {
            "__doc__": "Several removals failed: one message per line (an EngineError, so "
                       "main prints it).", "__module__": "compose.cli.network_cmd"}))
    return _FAILED[0]
