"""The build cache: a rebuild does no work; a change invalidates from its step on only."""
import pytest

from engine.errors import BuildError
from tests.fixtures.build import build, make_context

pytestmark = pytest.mark.root

# Every RUN appends a line to a file in a cache mount, which survives builds: the number of
# lines is the number of RUN executions, whatever the cache claims in its events.
DOCKERFILE = """\
FROM busybox
ARG FLAVOR=plain
RUN --mount=type=cache,target=/counter echo first >> /counter/runs
COPY a.txt /a.txt
RUN --mount=type=cache,target=/counter echo "second $FLAVOR" >> /counter/runs
COPY b.txt /b.txt
RUN --mount=type=cache,target=/counter echo third >> /counter/runs
"""


def _runs(engine):
    from engine.build.cache import BuildCache
    path = BuildCache(engine).cache_mount_dir("/counter") / "runs"
    return path.read_text().splitlines() if path.exists() else []


def test_rebuild_does_no_work(engine, busybox_image, build_ctx):
    make_context(build_ctx, {"Dockerfile": DOCKERFILE, "a.txt": "a", "b.txt": "b"})
    first, _ = build(engine, build_ctx, tags=("cached:1",))
    assert _runs(engine) == ["first", "second plain", "third"]
    again, log = build(engine, build_ctx, tags=("cached:1",))
    assert _runs(engine) == ["first", "second plain", "third"]
    assert again.id == first.id
    for step in ("echo first", "COPY a.txt", "echo \"second", "COPY b.txt", "echo third"):
        assert log.status_of(step) == ["CACHED"], step


def test_changed_file_invalidates_from_its_step(engine, busybox_image, build_ctx):
    make_context(build_ctx, {"Dockerfile": DOCKERFILE, "a.txt": "a", "b.txt": "b"})
    first, _ = build(engine, build_ctx)
    (build_ctx / "b.txt").write_text("b changed")
    second, log = build(engine, build_ctx)
    assert _runs(engine) == ["first", "second plain", "third", "third"]
    assert log.status_of("COPY a.txt") == ["CACHED"]
    assert log.status_of("COPY b.txt") == ["DONE"]
    assert second.id != first.id
    (build_ctx / "a.txt").write_text("a changed")
    build(engine, build_ctx)
    assert _runs(engine)[4:] == ["second plain", "third"]


def test_mode_change_and_build_arg_invalidate(engine, busybox_image, build_ctx):
    make_context(build_ctx, {"Dockerfile": DOCKERFILE, "a.txt": "a", "b.txt": "b"})
    build(engine, build_ctx)
    (build_ctx / "b.txt").chmod(0o600)
    build(engine, build_ctx)
    assert _runs(engine)[3:] == ["third"]
    # Docker: every RUN after the ARG sees it in its environment, so all of them re-run
    build(engine, build_ctx, build_args={"FLAVOR": "spicy"})
    assert _runs(engine)[4:] == ["first", "second spicy", "third"]


def test_no_cache_and_dockerfile_change(engine, busybox_image, build_ctx):
    make_context(build_ctx, {"Dockerfile": DOCKERFILE, "a.txt": "a", "b.txt": "b"})
    build(engine, build_ctx)
    build(engine, build_ctx, no_cache=True)
    assert len(_runs(engine)) == 6
    (build_ctx / "Dockerfile").write_text(DOCKERFILE.replace("echo third", "echo THIRD"))
    _, log = build(engine, build_ctx)
    assert _runs(engine)[6:] == ["THIRD"]
    assert log.status_of("COPY b.txt") == ["CACHED"]


def test_ignored_file_change_keeps_cache(engine, busybox_image, build_ctx):
    make_context(build_ctx, {"Dockerfile": "FROM busybox\nCOPY . /src\n"
                                           "RUN --mount=type=cache,target=/counter echo x >> /counter/runs\n",
                             ".dockerignore": "*.tmp\n", "keep.txt": "k", "junk.tmp": "1"})
    build(engine, build_ctx)
    (build_ctx / "junk.tmp").write_text("2")
    _, log = build(engine, build_ctx)
    assert log.status_of("COPY . /src") == ["CACHED"] and len(_runs(engine)) == 1


def test_failed_step_is_not_cached(engine, busybox_image, build_ctx):
    make_context(build_ctx, {"Dockerfile": "FROM busybox\n"
                                           "RUN --mount=type=cache,target=/counter echo x >> /counter/runs; "
                                           "test -f /counter/ok\n"})
    with pytest.raises(BuildError):
        build(engine, build_ctx)
    from engine.build.cache import BuildCache
    (BuildCache(engine).cache_mount_dir("/counter") / "ok").write_text("")
    build(engine, build_ctx)
    assert len(_runs(engine)) == 2
