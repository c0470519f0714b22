"""Faults while pulling: truncated downloads resume, corrupt blobs are refused, a full disk
fails clean, and two processes pulling the same image share the work."""
import http.server
import shutil
import socketserver
import subprocess
import sys
import threading
import uuid

import httpx
import pytest

from engine.api import Engine
from engine.errors import ImageError, RegistryError
from engine.snapshots.mounts import mount, umount


class TruncatingProxy:
    """Forwards to the registry; cuts the first blob download after ``cut`` bytes."""

    def __init__(self, upstream: str, cut: int) -> None:
        self.upstream, self.cut, self.ranges, self.cuts = upstream, cut, [], 0
        self.http = httpx.Client(verify=False)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self.do_GET(head=True)

            def do_GET(self, head=False):
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "range", "authorization")}
                if "/blobs/" in self.path:
                    proxy.ranges.append(self.headers.get("Range"))
                r = proxy.http.request("HEAD" if head else "GET", f"http://{proxy.upstream}{self.path}",
                                  headers=headers, follow_redirects=True)
                body = r.content
                self.send_response(r.status_code)
                for k, v in r.headers.items():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body) if not head else r.headers.get("content-length", 0)))
                self.end_headers()
                if head:
                    return
                if "/blobs/" in self.path and proxy.cuts == 0 and len(body) > proxy.cut:
                    proxy.cuts += 1
                    self.wfile.write(body[:proxy.cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.http.close()


@pytest.fixture
def pushed(engine, busybox_image, registry):
    repo = f"faults/{uuid.uuid4().hex[:8]}"
    engine.images.tag("busybox", f"{registry.host}/{repo}:1")
    engine.images.push(f"{registry.host}/{repo}:1")
    return repo


@pytest.fixture
def fresh(tmp_path, engine_dirs):
    return Engine(tmp_path / "fresh", engine_dirs[1] / "fresh")


def _assert_clean(eng):
    assert eng.images.list() == []
    assert eng.images.store.index.read()["tags"] == {}


def test_truncated_download_resumes(fresh, registry, pushed, busybox_image):
    proxy = TruncatingProxy(registry.host, cut=300_000)
    try:
        ref = f"{proxy.host}/{pushed}:1"
        with pytest.raises(RegistryError, match="the next pull resumes it"):
            fresh.images.pull(ref)
        _assert_clean(fresh)
        partial = list(fresh.layout.ingest.glob("*/data"))
        assert [p.stat().st_size for p in partial] == [300_000]
        info = fresh.images.pull(ref)
        assert info.id == busybox_image.id
        assert "bytes=300000-" in proxy.ranges
        assert list(fresh.layout.ingest.iterdir()) == []
    finally:
        proxy.close()


def test_corrupt_blob_is_refused(fresh, registry, pushed, busybox_image):
    layer = busybox_image.layers[0]
    blob = registry.blob_path(layer)
    saved = blob.read_bytes()
    try:
        blob.write_bytes(saved[:-5] + b"XXXXX")
        with pytest.raises(ImageError, match="digest mismatch"):
            fresh.images.pull(f"{registry.host}/{pushed}:1")
        _assert_clean(fresh)
        assert not fresh.images.content.has(layer)
        assert list(fresh.layout.ingest.iterdir()) == []
    finally:
        blob.write_bytes(saved)
    assert fresh.images.pull(f"{registry.host}/{pushed}:1").id == busybox_image.id


@pytest.mark.root
def test_disk_full_fails_clean(tmp_path, engine_dirs, registry, pushed):
    root = tmp_path / "small"
    root.mkdir()
    mount("tmpfs", str(root), "tmpfs", 0, "size=1500k")
    try:
        small = Engine(root, engine_dirs[1] / "small")
        with pytest.raises(ImageError, match="no space left on device"):
            small.images.pull(f"{registry.host}/{pushed}:1")
        _assert_clean(small)
        assert list(small.images.content.list()) == [] or all(
            small.images.content.verify(d) for d in small.images.content.list())
    finally:
        umount(str(root), detach=True)


PULL = """
import sys
from engine.api import Engine
Engine(sys.argv[1], sys.argv[2]).images.pull(sys.argv[3])
"""


def test_two_processes_pull_same_image(tmp_path, engine_dirs, registry, pushed, busybox_image):
    root, runroot = tmp_path / "shared", engine_dirs[1] / "shared"
    ref = f"{registry.host}/{pushed}:1"
    procs = [subprocess.Popen([sys.executable, "-c", PULL, str(root), str(runroot), ref],
                              stderr=subprocess.PIPE, cwd=str(__import__("pathlib").Path(__file__).parents[3]))
             for _ in range(2)]
    results = [(p.wait(60), p.stderr.read().decode()) for p in procs]
    assert results == [(0, ""), (0, "")]
    eng = Engine(root, runroot)
    assert eng.images.inspect(ref).id == busybox_image.id
    img = eng.images.get(ref)
    assert sorted(eng.images.content.list()) == sorted({img.id, img.manifest_digest, *busybox_image.layers})
    assert len(eng.images.snapshots.committed()) == 1
    shutil.rmtree(runroot, ignore_errors=True)


def _raw_push(registry, repo: str, layer: bytes, diff_id: str) -> str:
    """Push an image by hand (so it can lie): one layer blob + a config claiming ``diff_id``."""
    import hashlib
    import json

    def digest(data):
        return "sha256:" + hashlib.sha256(data).hexdigest()
    base = f"http://{registry.host}/v2/{repo}"
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    for blob in (layer, config):
        loc = httpx.post(f"{base}/blobs/uploads/").headers["location"]
        loc = loc if loc.startswith("http") else f"http://{registry.host}{loc}"
        sep = "&" if "?" in loc else "?"
        assert httpx.put(f"{loc}{sep}digest={digest(blob)}", content=blob).status_code == 201
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": digest(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                       "digest": digest(layer), "size": len(layer)}]}).encode()
    r = httpx.put(f"{base}/manifests/1", content=manifest,
                  headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert r.status_code == 201, r.text
    return f"{registry.host}/{repo}:1"


def test_lying_and_corrupt_layers_are_refused(fresh, registry, busybox_layer):
    import gzip
    import hashlib
    layer = gzip.compress(busybox_layer.read_bytes())
    liar = _raw_push(registry, f"liar/{uuid.uuid4().hex[:8]}", layer, "sha256:" + "0" * 64)
    with pytest.raises(ImageError, match="does not match its diff id"):
        fresh.images.pull(liar)
    garbage = gzip.compress(b"definitely not a tar archive" * 1000)
    corrupt = _raw_push(registry, f"corrupt/{uuid.uuid4().hex[:8]}", garbage,
                        "sha256:" + hashlib.sha256(b"definitely not a tar archive" * 1000).hexdigest())
    with pytest.raises(ImageError, match="not a valid layer archive"):
        fresh.images.pull(corrupt)
    _assert_clean(fresh)
    assert fresh.images.snapshots.committed() == []
    assert list((fresh.layout.snapshots / "tmp").iterdir()) == []
