"""Registry round trips against a real CNCF distribution registry on 127.0.0.1."""
import filecmp
import uuid

import pytest

from engine.api import Engine
from engine.errors import NotFound, RegistryError
from engine.registry.push import push_image


def _repo(registry, prefix="t"):
    return f"{registry.host}/{prefix}/{uuid.uuid4().hex[:8]}"


@pytest.fixture
def other_engine(tmp_path, engine_dirs):
    return Engine(tmp_path / "other-root", engine_dirs[1] / "other")


def _file_in(eng, ref, rel):
    img = eng.images.get(ref)
    for chain_id in reversed(img.chain):
        p = eng.images.snapshots.lookup(chain_id) / "fs" / rel
        if p.exists() or p.is_symlink():
            return p
    raise AssertionError(f"{rel} not in {ref}")


def test_push_pull_round_trip(engine, other_engine, busybox_image, busybox_rootfs, registry):
    ref = _repo(registry) + ":1"
    engine.images.tag("busybox", ref)
    events = []
    digest = engine.images.push(ref, on_event=events.append)
    assert ("image", "Pushed") in [(e.kind, e.status) for e in events]
    assert f"{ref.rpartition(':')[0]}@{digest}" in engine.images.inspect(ref).repo_digests
    events = []
    info = other_engine.images.pull(ref, on_event=events.append)
    assert info.id == busybox_image.id and info.layers == busybox_image.layers
    assert info.repo_digests == (f"{ref.rpartition(':')[0]}@{digest}",)
    statuses = {e.status for e in events}
    assert {"Pulling fs layer", "Download complete", "Pull complete"} <= statuses
    assert filecmp.cmp(_file_in(other_engine, ref, "bin/busybox"), busybox_rootfs / "bin/busybox", shallow=False)
    assert _file_in(other_engine, ref, "bin/sh").readlink() == (busybox_rootfs / "bin/sh").readlink()
    # pulling again: nothing downloaded
    events = []
    other_engine.images.pull(ref, on_event=events.append)
    assert "Downloading" not in {e.status for e in events}


def test_chunked_push_and_cross_repo_mount(engine, other_engine, busybox_image, registry):
    first, second = _repo(registry) + ":a", _repo(registry) + ":b"
    engine.images.tag("busybox", first)
    engine.images.tag("busybox", second)
    push_image(engine.images, first, None, None, chunk_size=256 * 1024, monolithic_max=1024)
    events = []
    engine.images.push(second, on_event=events.append)
    assert any(e.status.startswith("Mounted from") for e in events)
    assert other_engine.images.pull(second).id == busybox_image.id


def test_multiplatform_index(other_engine, multiplatform_image):
    ref = multiplatform_image["ref"]
    info = other_engine.images.pull(ref)
    assert info.id == multiplatform_image["amd64"] and info.architecture == "amd64"
    assert info.repo_digests == (f"{ref.rpartition(':')[0]}@{multiplatform_image['index_digest']}",)
    arm = other_engine.images.pull(ref, platform="linux/arm64")
    assert arm.id == multiplatform_image["arm64"] and arm.config.cmd == ("echo", "arm64")
    with pytest.raises(Exception, match="no matching manifest for linux/s390x"):
        other_engine.images.pull(ref, platform="linux/s390x")


def test_auth_registry(engine, other_engine, busybox_image, auth_registry, docker_config):
    ref = _repo(auth_registry) + ":1"
    engine.images.tag("busybox", ref)
    with pytest.raises(RegistryError, match="unauthorized: authentication required"):
        engine.images.push(ref)
    docker_config(auth_registry.host, "tester", "wrong")
    with pytest.raises(RegistryError, match="unauthorized"):
        engine.images.push(ref)
    docker_config(auth_registry.host, "tester", "s3cret")
    engine.images.push(ref)
    assert other_engine.images.pull(ref).id == busybox_image.id


def test_unknown_and_unreachable(engine, registry):
    with pytest.raises(NotFound, match="manifest for .* not found: manifest unknown"):
        engine.images.pull(_repo(registry) + ":nope")
    with pytest.raises(RegistryError, match="cannot reach registry 127.0.0.1:9 .*connection refused"):
        engine.images.pull("127.0.0.1:9/x/y:1")
    with pytest.raises(NotFound, match="does not exist locally with the tag"):
        engine.images.push(f"{registry.host}/x/none:1")
    assert engine.images.list() == []


def test_bearer_token_auth(engine, other_engine, busybox_image, token_registry, docker_config):
    ref = _repo(token_registry) + ":1"
    engine.images.tag("busybox", ref)
    with pytest.raises(RegistryError, match="unauthorized"):
        engine.images.push(ref)                     # anonymous tokens only grant pull
    docker_config(token_registry.host, "tester", "s3cret")
    engine.images.push(ref)
    repo = ref.split('/', 1)[1].rpartition(':')[0]
    # the scope is the registry challenge's; it lists the same actions in either order
    assert any(r["user"] == "tester" and r["scope"].startswith(f"repository:{repo}:")
               and set(r["scope"].rpartition(":")[2].split(",")) == {"pull", "push"}
               for r in token_registry.token.requests), token_registry.token.requests
    docker_config("elsewhere.example", "x", "y")   # no credentials for this registry: anonymous pull
    assert other_engine.images.pull(ref).id == busybox_image.id
    assert token_registry.token.requests[-1]["user"] is None


def test_mirror_for_docker_hub_names(engine, other_engine, busybox_image, registry, tmp_path, monkeypatch):
    """docker.io names go to the configured mirror first (Docker Hub itself is unreachable here)."""
    name = f"mirrored{uuid.uuid4().hex[:6]}"
    engine.images.tag("busybox", f"{registry.host}/library/{name}:1")
    engine.images.push(f"{registry.host}/library/{name}:1")
    settings = tmp_path / "daemon.json"
    settings.write_text('{"registry-mirrors": ["http://%s"], "insecure-registries": ["10.0.0.0/8"]}' % registry.host)
    monkeypatch.setenv("PYCOMPOSE_DAEMON_CONFIG", str(settings))
    info = other_engine.images.pull(f"{name}:1")
    assert info.id == busybox_image.id and info.repo_tags == (f"docker.io/library/{name}:1",)
    from engine.registry.config import RegistrySettings
    s = RegistrySettings.load()
    assert s.is_insecure("10.1.2.3:5000") and s.is_insecure("localhost:5000") and not s.is_insecure("ghcr.io")
    assert s.endpoints("ghcr.io") == ["https://ghcr.io"]


def test_credential_helper(engine, busybox_image, auth_registry, docker_config, tmp_path, monkeypatch):
    """credHelpers in ~/.docker/config.json run docker-credential-<name> get (docker's protocol)."""
    import json
    import os
    bindir = tmp_path / "bin"
    bindir.mkdir()
    helper = bindir / "docker-credential-pytest"
    helper.write_text('#!/bin/sh\nread server\necho "$server" > "%s"\n'
                      'echo \'{"ServerURL":"x","Username":"tester","Secret":"s3cret"}\'\n' % (tmp_path / "asked"))
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    docker_config("unused.example", "x", "y")
    cfg = tmp_path / "docker-config" / "config.json"
    cfg.write_text(json.dumps({"credHelpers": {auth_registry.host: "pytest"}}))
    ref = _repo(auth_registry) + ":1"
    engine.images.tag("busybox", ref)
    engine.images.push(ref)
    assert (tmp_path / "asked").read_text().strip() == auth_registry.host
