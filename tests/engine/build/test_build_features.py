"""More Dockerfile features on real builds: parallel stages, RUN mounts, COPY flags, ADD."""
import bz2
import io
import lzma
import os
import tarfile

import pytest

from tests.fixtures.build import build, image_root, make_context

pytestmark = pytest.mark.root

# Each stage waits (up to 20 s) for a file the other one writes into a shared cache mount:
# the build can only succeed when the two independent stages really run at the same time.
PARALLEL = """\
FROM busybox AS left
RUN --mount=type=cache,id=sync,target=/sync touch /sync/left && \\
    for i in $(seq 200); do [ -f /sync/right ] && exit 0; sleep 0.1; done; exit 1
RUN echo left > /left
FROM busybox AS right
RUN --mount=type=cache,id=sync,target=/sync touch /sync/right && \\
    for i in $(seq 200); do [ -f /sync/left ] && exit 0; sleep 0.1; done; exit 1
RUN echo right > /right
FROM busybox
COPY --from=left /left /
COPY --from=right /right /
"""


def test_independent_stages_run_in_parallel(engine, busybox_image, build_ctx):
    make_context(build_ctx, {"Dockerfile": PARALLEL})
    info, _ = build(engine, build_ctx)
    with image_root(engine, info.id) as root:
        assert (root / "left").read_text() == "left\n" and (root / "right").read_text() == "right\n"


def _tar_bytes(files: dict) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o755
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def test_add_archives_and_copy_flags(engine, busybox_image, build_ctx):
    import zstandard
    make_context(build_ctx, {
        "Dockerfile": "FROM busybox\n"
                      "ADD a.tar.bz2 b.tar.xz c.tar.zst /archives/\n"
                      "ADD --chown=1000:1000 notar.gz /raw/\n"
                      "ADD --unpack=false a.tar.bz2 /packed/\n"
                      "COPY --exclude=*.md --exclude=skip/ docs/ /docs/\n"
                      "COPY --parents app/*/conf.ini /etc/\n"
                      "ENV DEST=/env-dest\n"
                      "COPY one.txt $DEST/\n"
                      "COPY [\"one.txt\", \"/json form/\"]\n",
        "a.tar.bz2": bz2.compress(_tar_bytes({"a.sh": b"A"})),
        "b.tar.xz": lzma.compress(_tar_bytes({"b.sh": b"B"})),
        "c.tar.zst": zstandard.ZstdCompressor().compress(_tar_bytes({"c.sh": b"C"})),
        "notar.gz": b"\x1f\x8b not really gzip",
        "docs/guide.txt": "g", "docs/README.md": "r", "docs/skip/x.txt": "x",
        "app/one/conf.ini": "1", "app/two/conf.ini": "2", "one.txt": "1"})
    info, _ = build(engine, build_ctx)
    with image_root(engine, info.id) as root:
        assert sorted(os.listdir(root / "archives")) == ["a.sh", "b.sh", "c.sh"]
        assert os.stat(root / "archives/a.sh").st_mode & 0o777 == 0o755
        assert (root / "packed/a.tar.bz2").read_bytes().startswith(b"BZh")
        raw = root / "raw/notar.gz"
        assert raw.read_bytes().startswith(b"\x1f\x8b") and os.stat(raw).st_uid == 1000
        assert sorted(os.listdir(root / "docs")) == ["guide.txt"]
        assert (root / "etc/app/one/conf.ini").read_text() == "1"
        assert (root / "etc/app/two/conf.ini").read_text() == "2"
        assert (root / "env-dest/one.txt").exists() and (root / "json form/one.txt").exists()


def test_run_user_workdir_env_and_mounts(engine, busybox_image, build_ctx, tmp_path):
    secret = tmp_path / "token.txt"
    secret.write_text("s3cret")
    make_context(build_ctx, {
        "Dockerfile": "FROM busybox AS data\nRUN echo from-stage > /payload\n"
                      "FROM busybox\n"
                      "USER app\nWORKDIR /home/app/work\n"
                      "RUN id -u > uid.txt && pwd > pwd.txt\n"
                      "USER root\n"
                      "RUN --mount=type=bind,from=data,source=/payload,target=/in/payload "
                      "cp /in/payload /copied\n"
                      "RUN --mount=type=bind,source=ctx.txt,target=/ctx.txt cp /ctx.txt /from-ctx\n"
                      "RUN --mount=type=secret,id=token wc -c < /run/secrets/token > /secret-size\n"
                      "RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && "
                      "! ls / | grep -q scratch-leak\n"
                      "RUN --network=none cat /etc/hosts > /hosts-copy\n",
        "ctx.txt": "context file"})
    info, log = build(engine, build_ctx, secrets={"token": str(secret)})
    with image_root(engine, info.id) as root:
        work = root / "home/app/work"
        assert (work / "uid.txt").read_text() == "1000\n"
        assert (work / "pwd.txt").read_text() == "/home/app/work\n"
        assert (root / "copied").read_text() == "from-stage\n"
        assert (root / "from-ctx").read_text() == "context file"
        assert (root / "secret-size").read_text().strip() == "6"
        assert not (root / "run/secrets/token").exists()
        assert not (root / "in").exists() or not os.listdir(root / "in")
        assert "localhost" in (root / "hosts-copy").read_text()
    cfg = engine.images.get(info.id).config
    assert all("s3cret" not in h["created_by"] for h in cfg["history"])


def test_shebang_heredoc_and_json_expansion(engine, busybox_image, build_ctx):
    from engine.errors import BuildError
    make_context(build_ctx, {
        "Dockerfile": "FROM busybox\nARG NAME=file.txt\n"
                      "RUN <<SCRIPT\n#!/usr/bin/awk -f\nBEGIN { print \"awk ran\" > \"/awk.txt\" }\nSCRIPT\n"
                      'COPY ["$NAME", "/json/${NAME}"]\nVOLUME ["/vol/$NAME"]\n',
        "file.txt": "f"})
    info, _ = build(engine, build_ctx)
    with image_root(engine, info.id) as root:
        assert (root / "awk.txt").read_text() == "awk ran\n"
        assert (root / "json/file.txt").read_text() == "f"
        assert not [n for n in os.listdir(root) if n.startswith(".pycompose")]
    assert engine.images.get(info.id).config["config"]["Volumes"] == {"/vol/file.txt": {}}


def test_from_pulls_missing_image(engine, busybox_image, build_ctx, registry):
    import uuid
    ref = f"{registry.host}/h6build/bb-{uuid.uuid4().hex[:6]}:latest"
    engine.images.tag("busybox:latest", ref)
    engine.images.push(ref)
    engine.images.remove(ref)                   # only the tag: busybox:latest stays
    make_context(build_ctx, {"Dockerfile": f"FROM {ref}\nRUN echo pulled-base > /p\n"})
    info, log = build(engine, build_ctx)
    assert engine.images.inspect(ref).id == busybox_image.id
    assert any(f"pulling {ref}" in line for line in log.logs())
    with image_root(engine, info.id) as root:
        assert (root / "p").read_text() == "pulled-base\n"
    _, log = build(engine, build_ctx, pull=True)   # --pull asks the registry again
    assert any(f"pulling {ref}" in line for line in log.logs())


def test_many_layers_are_flattened_for_the_mount(engine, busybox_image, build_ctx, monkeypatch):
    import engine.build.executor as executor
    monkeypatch.setattr(executor, "LOWERDIR_BUDGET", 400)     # a few layers already overflow
    steps = "".join(f"RUN echo {i} > /f{i}\n" for i in range(6))
    make_context(build_ctx, {"Dockerfile": "FROM busybox\n" + steps +
                             "RUN rm /f2 && cat /f0 /f1 /f3 /f4 /f5 > /all\n"})
    info, _ = build(engine, build_ctx)
    with image_root(engine, info.id) as root:
        assert (root / "all").read_text() == "0\n1\n3\n4\n5\n"
        assert not (root / "f2").exists()
    assert list((engine.layout.build_cache / "flat").iterdir())


def test_copy_from_stage_named_by_stage_arg(engine, busybox_image, build_ctx):
    make_context(build_ctx, {"Dockerfile": "FROM busybox AS src\nRUN echo late > /late\n"
                                           "FROM busybox\nARG FROM_STAGE=src\n"
                                           "COPY --from=${FROM_STAGE} /late /late\n"})
    info, _ = build(engine, build_ctx)
    with image_root(engine, info.id) as root:
        assert (root / "late").read_text() == "late\n"


def test_from_platform_pulls_that_platform(engine, busybox_image, build_ctx, multiplatform_image):
    ref = multiplatform_image["ref"]
    make_context(build_ctx, {"Dockerfile": "FROM --platform=linux/arm64 " + ref + "\n"
                                           "COPY a.txt /a.txt\n", "a.txt": "a"})
    info, log = build(engine, build_ctx)
    assert info.architecture == "arm64"
    assert engine.images.get(info.id).config["config"]["Cmd"] == ["echo", "arm64"]
    assert any("for linux/arm64" in line for line in log.logs())
