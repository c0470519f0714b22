"""With real containers (runtime by H4, images by H3): name resolution between two
containers, and a named volume keeping data across container recreation."""
from __future__ import annotations

import pytest

from engine.types import ContainerSpec, EndpointSpec, ExecSpec, Mount, NetworkSpec, PortBinding
from tests.fixtures.network import unique

pytestmark = pytest.mark.root


def _exec(engine, cid, *cmd) -> tuple[int, str]:
    chunks = []
    code = engine.containers.exec(cid, ExecSpec(cmd=cmd), stdout=chunks.append,
                                  stderr=chunks.append)
    return code, b"".join(chunks).decode()


def test_two_containers_resolve_each_other(net_engine, busybox_image):
    net = unique("app")
    net_engine.networks.create(NetworkSpec(name=net))
    made = []
    try:
        for name, alias in ((unique("db"), "db"), (unique("web"), "web")):
            command = ("sh", "-c", "echo hello-from-web > /tmp/index.html; exec httpd -f -p 80 -h /tmp") \
                if alias == "web" else ("sleep", "60")
            info = net_engine.containers.create(ContainerSpec(
                image="busybox:latest", name=name, command=command, network_mode=net,
                networks={net: EndpointSpec(aliases=(alias,))},
                ports=(PortBinding(80),) if alias == "web" else ()))
            made.append(info.id)
            net_engine.containers.start(info.id)
        db, web = (net_engine.containers.inspect(c) for c in made)
        db_ip = db.networks[net]["IPAddress"]
        code, out = _exec(net_engine, web.id, "nslookup", "db")
        assert code == 0 and db_ip in out, out
        code, out = _exec(net_engine, web.id, "ping", "-c1", "-W3", db.name)
        assert code == 0, out
        code, out = _exec(net_engine, web.id, "cat", "/etc/resolv.conf")
        assert "nameserver 127.0.0.11" in out
        assert web.ports and web.ports[0].host_port
        code, out = _exec(net_engine, db.id, "sh", "-c", "for i in 1 2 3 4 5; do "
                          "wget -qO- http://web/index.html && exit 0; sleep 0.5; done; exit 1")
        assert (code, out) == (0, "hello-from-web\n")
        import time
        import urllib.request
        url = f"http://127.0.0.1:{web.ports[0].host_port}/index.html"
        for _ in range(50):
            try:
                body = urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                time.sleep(0.1)
        assert body == b"hello-from-web\n"
        # CLI connect / disconnect of a running container, by name
        from compose.cli.main import run as cli
        root = ["--root", str(net_engine.layout.root), "--runroot", str(net_engine.layout.runroot)]
        extra = unique("extra")
        net_engine.networks.create(NetworkSpec(name=extra))
        assert cli(root + ["network", "connect", "--alias", "api", extra, web.name]) == 0
        assert _exec(net_engine, web.id, "ip", "link", "show", "eth1")[0] == 0
        assert "api" in net_engine.networks.container_networks(web.id)[extra]["Aliases"]
        assert cli(root + ["network", "disconnect", extra, web.name]) == 0
        assert _exec(net_engine, web.id, "ip", "link", "show", "eth1")[0] != 0
        net_engine.networks.remove(extra)
    finally:
        for cid in made:
            net_engine.containers.remove(cid, force=True)
    assert net_engine.networks.inspect(net).containers == {}
    net_engine.networks.remove(net)


def test_named_volume_survives_recreation(net_engine, busybox_image):
    vol = unique("data")
    spec = ContainerSpec(image="busybox:latest", command=("sleep", "60"), network_mode="none",
                         mounts=(Mount("volume", "/data", vol),))
    first = net_engine.containers.create(spec)
    net_engine.containers.start(first.id)
    assert _exec(net_engine, first.id, "sh", "-c", "echo kept > /data/f")[0] == 0
    net_engine.containers.remove(first.id, force=True, volumes=True)
    assert net_engine.volumes.inspect(vol).name == vol          # named: survives rm -v
    second = net_engine.containers.create(spec)
    net_engine.containers.start(second.id)
    try:
        code, out = _exec(net_engine, second.id, "cat", "/data/f")
        assert (code, out) == (0, "kept\n")
        with pytest.raises(Exception, match="volume is in use"):
            net_engine.volumes.remove(vol)
    finally:
        net_engine.containers.remove(second.id, force=True)
    net_engine.volumes.remove(vol)


def test_volumes_from_and_anonymous_volume_cleanup(net_engine, busybox_image):
    base = ContainerSpec(image="busybox:latest", command=("sleep", "60"), network_mode="none")
    src = net_engine.containers.create(ContainerSpec(**{**base.__dict__,
                                                        "mounts": (Mount("volume", "/shared"),)}))
    net_engine.containers.start(src.id)
    made = [src.id]
    try:
        assert _exec(net_engine, src.id, "sh", "-c", "echo hi > /shared/f")[0] == 0
        anon = net_engine.containers.inspect(src.id).mounts[0].source
        assert len(anon) == 64 and net_engine.volumes.inspect(anon).anonymous
        net_engine.containers.stop(src.id, timeout=1)          # a restart keeps the same volume
        net_engine.containers.start(src.id)
        assert _exec(net_engine, src.id, "cat", "/shared/f") == (0, "hi\n")
        # (own tmpfs mount: the runtime calls prepare_mounts only when spec.mounts is non-empty)
        reader = net_engine.containers.create(ContainerSpec(**{
            **base.__dict__, "volumes_from": (f"{src.name}:ro",),
            "mounts": (Mount("tmpfs", "/scratch"),)}))
        made.append(reader.id)
        net_engine.containers.start(reader.id)
        assert _exec(net_engine, reader.id, "cat", "/shared/f") == (0, "hi\n")
        assert _exec(net_engine, reader.id, "sh", "-c", "echo x > /shared/g")[0] != 0   # :ro
        assert set(net_engine.volumes.users(anon)) == {src.id, reader.id}
    finally:
        for cid in reversed(made):
            net_engine.containers.remove(cid, force=True, volumes=True)
    with pytest.raises(Exception, match="no such volume"):
        net_engine.volumes.inspect(anon)                        # anonymous: removed with rm -v
