"""cache_from (images as cache sources) and COPY --link (layers independent of their parent).

A RUN appends to a file in a cache mount, so the file counts real executions. The local
build cache is pruned between builds: only the cache_from image can answer then.
"""
import tarfile
import uuid

import pytest

from engine.errors import BuildError
from tests.fixtures.build import build, image_root, make_context

pytestmark = pytest.mark.root

DOCKERFILE = """\
FROM busybox
RUN --mount=type=cache,target=/counter echo first >> /counter/runs && echo 1 > /one
COPY a.txt /a.txt
ENV MODE=test
COPY b.txt /b.txt
RUN --mount=type=cache,target=/counter echo second >> /counter/runs && cat /a.txt /b.txt > /ab
"""


def _runs(engine):
    from engine.build.cache import BuildCache
    path = BuildCache(engine).cache_mount_dir("/counter") / "runs"
    return path.read_text().splitlines() if path.exists() else []


def _fresh_machine(engine):
    """Forget the local build cache (records, layers and the counter)."""
    engine.builder.prune()
    assert _runs(engine) == []


def _warnings(log):
    return [e.text for e in log.events if e.status == "WARN"]


def test_cache_from_image_in_store(engine, busybox_image, build_ctx):
    make_context(build_ctx, {"Dockerfile": DOCKERFILE, "a.txt": "a\n", "b.txt": "b\n"})
    first, _ = build(engine, build_ctx, tags=("cf-app:v1",))
    assert _runs(engine) == ["first", "second"]
    _fresh_machine(engine)
    again, log = build(engine, build_ctx, tags=("cf-app:v2",), cache_from=("cf-app:v1",))
    assert _runs(engine) == []                       # nothing ran
    for step in ("echo first", "COPY a.txt", "COPY b.txt", "echo second"):
        assert log.status_of(step) == ["CACHED"], step
    assert again.id == first.id                      # like the classic builder: same image
    assert "cf-app:v2" in " ".join(engine.images.inspect(first.id).repo_tags)
    # a changed file: the steps before it still come from the image, the rest run
    _fresh_machine(engine)
    (build_ctx / "b.txt").write_text("B\n")
    third, log = build(engine, build_ctx, cache_from=("cf-app:v1",))
    assert _runs(engine) == ["second"]
    assert log.status_of("COPY a.txt") == ["CACHED"]
    assert log.status_of("COPY b.txt") == ["DONE"]
    with image_root(engine, third.id) as root:
        assert (root / "ab").read_text() == "a\nB\n"
        assert (root / "one").read_text() == "1\n"
    # without cache_from the pruned cache has nothing
    _fresh_machine(engine)
    build(engine, build_ctx)
    assert _runs(engine) == ["first", "second"]


def test_cache_from_loaded_and_pulled_images(engine, busybox_image, build_ctx, registry, tmp_path):
    make_context(build_ctx, {"Dockerfile": DOCKERFILE, "a.txt": "a\n", "b.txt": "b\n"})
    first, _ = build(engine, build_ctx, tags=("cf-load:v1",))
    archive = tmp_path / "app.tar"
    engine.images.save(["cf-load:v1"], archive)
    remote = f"{registry.host}/cachefrom/app-{uuid.uuid4().hex[:6]}:v1"
    engine.images.tag("cf-load:v1", remote)
    engine.images.push(remote)
    engine.images.remove(remote)
    engine.images.remove("cf-load:v1")
    assert not engine.images.exists(first.id)
    # image load
    _fresh_machine(engine)
    engine.images.load(archive)
    _, log = build(engine, build_ctx, cache_from=("cf-load:v1",))
    assert _runs(engine) == []
    assert log.status_of("echo second") == ["CACHED"]
    engine.images.remove("cf-load:v1")
    # type=registry,ref=: not in the store, pulled from the registry
    _fresh_machine(engine)
    _, log = build(engine, build_ctx, cache_from=(f"type=registry,ref={remote}",))
    assert _runs(engine) == []
    assert any(f"pulling {remote}" in line for line in log.logs())
    assert log.status_of("COPY b.txt") == ["CACHED"]


def test_cache_from_unusable_entries_warn(engine, busybox_image, build_ctx):
    make_context(build_ctx, {"Dockerfile": DOCKERFILE, "a.txt": "a\n", "b.txt": "b\n"})
    entries = ("type=local,src=/tmp/nowhere", "type=gha,scope=x", "127.0.0.1:1/nope/img:1",
               "busybox:latest")
    info, log = build(engine, build_ctx, cache_from=entries)
    assert _runs(engine) == ["first", "second"]
    warnings = _warnings(log)
    assert any("type=local" in w and "not supported" in w for w in warnings)
    assert any("type=gha" in w for w in warnings)
    assert any("failed to import cache from 127.0.0.1:1/nope/img:1" in w for w in warnings)
    assert any("busybox:latest has no pycompose build cache metadata" in line
               for line in log.logs())
    assert engine.images.exists(info.id)


LINK_DOCKERFILE = """\
FROM busybox
RUN echo {word} > /base.txt
COPY {link} --chmod=0640 f.txt /app/f.txt
RUN cat /app/f.txt /base.txt > /both
"""


def _layer_names(engine, image_id, index):
    digest = engine.images.layer_digests(image_id)[index]
    with tarfile.open(engine.images.content.path(digest), "r:*") as tf:
        return sorted(m.name.rstrip("/") for m in tf.getmembers())


def test_copy_link_layer_does_not_depend_on_parent(engine, busybox_image, build_ctx):
    def dockerfile(word, link="--link"):
        (build_ctx / "Dockerfile").write_text(LINK_DOCKERFILE.format(word=word, link=link))

    make_context(build_ctx, {"f.txt": "file\n"})
    dockerfile("one")
    first, _ = build(engine, build_ctx, tags=("link-app:v1",))
    assert _layer_names(engine, first.id, -2) == ["app", "app/f.txt"]   # only what it copies
    history = [h["created_by"] for h in engine.images.get(first.id).config["history"]]
    assert "COPY --link --chmod=0640 f.txt /app/f.txt # buildkit" in history
    dockerfile("two")                                # the layer below changes
    second, log = build(engine, build_ctx)
    assert log.status_of("echo two") == ["DONE"]
    assert log.status_of("COPY --link") == ["CACHED"]
    assert log.status_of("RUN cat") == ["DONE"]
    first_ids = engine.images.inspect_raw(first.id)["RootFS"]["Layers"]
    second_ids = engine.images.inspect_raw(second.id)["RootFS"]["Layers"]
    assert first_ids[-2] == second_ids[-2] and first_ids[-3] != second_ids[-3]
    with image_root(engine, second.id) as root:
        assert (root / "both").read_text() == "file\ntwo\n"
        assert oct((root / "app/f.txt").stat().st_mode & 0o777) == "0o640"
    # with --cache-from, a fresh machine reuses the linked layer under a new parent
    _fresh_machine(engine)
    dockerfile("three")
    _, log = build(engine, build_ctx, cache_from=("link-app:v1",))
    assert log.status_of("echo three") == ["DONE"]
    assert log.status_of("COPY --link") == ["CACHED"]
    # a plain COPY does depend on its parent
    dockerfile("four", link="")
    build(engine, build_ctx)
    dockerfile("five", link="")
    _, log = build(engine, build_ctx)
    assert log.status_of("--chmod=0640 f.txt") == ["DONE"]


def test_copy_link_named_chown_is_refused(engine, busybox_image, build_ctx):
    make_context(build_ctx, {"f.txt": "x", "Dockerfile":
                             "FROM busybox\nCOPY --link --chown=nobody f.txt /f\n"})
    with pytest.raises(BuildError, match=r"Dockerfile:2: COPY --link --chown=nobody: .*numeric"):
        build(engine, build_ctx)
    (build_ctx / "Dockerfile").write_text("FROM busybox\nCOPY --link --chown=7:8 f.txt /f\n")
    info, _ = build(engine, build_ctx)
    with image_root(engine, info.id) as root:
        st = (root / "f").stat()
        assert (st.st_uid, st.st_gid) == (7, 8)
