"""Sandbox teardown with light imports (no engine.types, no NetworkService): the shim runs it
after a container's final exit, so its cost is part of every `stop`/`rm`/`run --rm`.

Order: netd release → DNAT rules (exact delete, else by tag) → veths (in-process netlink) +
endpoint entries → netns unmount → record. Only what the sandbox record says was made is undone:
no subprocess at all for ``--network none``. Bridges stay (the default one too, like docker0).
"""
from __future__ import annotations

import os

from ..layout import Paths, loads   # light: no pathlib / json / tempfile at import
from .netns import delete_netns, is_netns


def run_paths(runroot: str, cid: str) -> tuple[str, str]:
    """(sandbox record, netns mount) of a container: Layout.sandbox_file / Layout.netns_path
    without importing engine.layout (a test checks they agree)."""
    return (os.path.join(runroot, "sandboxes", f"{cid}.json"),
            os.path.join(runroot, "netns", cid))


def teardown_after_exit(root: str, runroot: str, cid: str) -> None:
    """The shim's teardown after the final exit. A sandbox without endpoints, published ports
    or DNS (``--network none``, host, container:) is released here with the standard library
    only; anything else goes through ``teardown`` on RunPaths (plain-string paths; the bridge
    and iptables modules)."""
    record, netns_path = run_paths(runroot, cid)
    try:
        with open(record, "rb") as f:
            state = loads(f.read())
    except (OSError, ValueError):
        state = None
    if state and not (state.get("endpoints") or state.get("netd") or state.get("pending_ports")):
        mode = str(state.get("mode", ""))
        if mode != "host" and not mode.startswith("container:"):
            delete_netns(netns_path)
        try:
            os.unlink(record)
        except FileNotFoundError:
            pass
        return
    teardown(RunPaths(root, runroot), cid)


class RunPaths(Paths):
    """The Layout paths a teardown uses (engine.layout.Paths: plain strings, no pathlib). A
    test checks each one against Layout."""


def teardown(layout, cid: str) -> None:
    """Release everything of a sandbox. Idempotent; safe after a crash half-way through setup.
    ``layout``: an engine.layout.Layout or a RunPaths."""
    from . import firewall, netd_client, store
    read_json = store.read_json
    record = layout.sandbox_file(cid)
    state = read_json(record) or {}
    netns_path = str(layout.netns_path(cid))
    if state.get("mode") == "host" or str(state.get("mode", "")).startswith("container:"):
        try:
            os.unlink(record)
        except FileNotFoundError:
            pass
        return
    if not state and not is_netns(netns_path):
        # the record is written before anything is made and removed last: no record and no
        # netns means nothing is held (stale endpoint entries are pruned when next read)
        return
    if not state or state.get("netd"):
        netd_client.request(layout.netd_socket, {"op": "release", "cid": cid}, start=False)
    if not state or state.get("pending_ports"):
        firewall.remove_container_rules(cid, state.get("forwards"))
    net_ids = list(state.get("endpoints", {})) if state else \
        [r["id"] for r in store.all_records(layout)]
    recorded = state.get("endpoints", {}) if state else {}
    for net_id in net_ids:
        detach(layout, net_id, cid, (recorded.get(net_id) or {}).get("veth", ""))
    delete_netns(netns_path)
    try:
        os.unlink(record)
    except FileNotFoundError:
        pass


def detach(layout, net_id: str, cid: str, veth: str = "") -> None:
    """Remove the container's veth and endpoint entry (``veth``: its name from the record)."""
    from . import bridge, store, sysnet
    rec = store.read_json(os.path.join(layout.network_dir(net_id), "network.json"))
    sysnet.delete_link(veth or bridge.veth_name(cid, net_id))
    if not rec:
        return
    with store.lock(layout, net_id):
        eps = store.endpoints(layout, net_id)
        if eps.pop(cid, None) is not None:
            store.write_endpoints(layout, rec, eps)
        # the default network's bridge stays when its last container leaves (like docker0):
        # recreating it and its rules cost every `run --rm` ~0.1-0.2 s; only an explicit
        # NetworkService.remove(..., predefined=True) (engine cleanup) takes it away
