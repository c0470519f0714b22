"""Real builds FROM the local busybox image: files, config, multi-stage, errors."""
import gzip
import io
import os
import tarfile

import pytest

from engine.errors import BuildError, NotFound
from engine.types import BuildSpec
from tests.fixtures.build import BuildLog, build, image_root, make_context

pytestmark = pytest.mark.root

MULTI = """\
# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM $BASE AS build
ARG VERSION=1.0
RUN echo "version $VERSION" > /version.txt && echo build-output
FROM busybox AS unused
RUN exit 1
FROM ${BASE}
LABEL org.example.title="demo app" maintainer=me
ENV APP_HOME=/srv/app GREETING="hello world"
WORKDIR $APP_HOME
COPY --chown=app:wheel --chmod=640 config.ini ./conf/
COPY --from=build /version.txt .
COPY src/ ./src/
RUN rm /etc/group && echo "$GREETING" > greeting.txt
EXPOSE 8080 9000-9001/udp
VOLUME /data
USER app
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost:8080 || exit 1
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat greeting.txt"]
"""


def test_multistage_build(engine, busybox_image, build_ctx):
    make_context(build_ctx, {"Dockerfile": MULTI, "config.ini": "[a]\nb=1\n",
                             "src/main.py": "print(1)\n", "src/pkg/mod.py": "x = 1\n"})
    os.utime(build_ctx / "src/main.py", (1_500_000_000, 1_500_000_000))
    info, log = build(engine, build_ctx, tags=("demo:1",), build_args={"VERSION": "2.5"})
    assert "docker.io/library/demo:1" in info.repo_tags
    titles = " ".join(log.titles().values())
    assert "RUN exit 1" not in titles                         # the unused stage was skipped
    assert "build-output" in log.logs()
    cfg = engine.images.get(info.id).config
    c = cfg["config"]
    assert "APP_HOME=/srv/app" in c["Env"] and "GREETING=hello world" in c["Env"]
    assert c["WorkingDir"] == "/srv/app"
    assert c["Labels"] == {"org.example.title": "demo app", "maintainer": "me"}
    assert c["ExposedPorts"] == {"8080/tcp": {}, "9000/udp": {}, "9001/udp": {}}
    assert c["Volumes"] == {"/data": {}}
    assert (c["User"], c["StopSignal"]) == ("app", "SIGINT")
    assert c["Healthcheck"] == {"Test": ["CMD-SHELL", "wget -q localhost:8080 || exit 1"],
                                "Interval": 5_000_000_000, "Retries": 2}
    assert c["Entrypoint"] == ["/bin/sh", "-c"] and c["Cmd"] == ["cat greeting.txt"]
    created_by = [h["created_by"] for h in cfg["history"]]
    assert "COPY --chown=app:wheel --chmod=640 config.ini ./conf/ # buildkit" in created_by
    assert 'RUN /bin/sh -c rm /etc/group && echo "$GREETING" > greeting.txt # buildkit' in created_by
    assert len(cfg["rootfs"]["diff_ids"]) == sum(1 for h in cfg["history"] if not h.get("empty_layer"))
    with image_root(engine, info.id) as root:
        app = root / "srv/app"
        assert (app / "version.txt").read_text() == "version 2.5\n"
        assert (app / "greeting.txt").read_text() == "hello world\n"
        st = os.stat(app / "conf/config.ini")
        assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1000, 10, 0o640)
        assert os.stat(app / "conf").st_uid == 1000           # created by COPY --chown
        main = os.stat(app / "src/main.py")
        assert (main.st_uid, int(main.st_mtime)) == (0, 1_500_000_000)
        assert (app / "src/pkg/mod.py").read_text() == "x = 1\n"
        assert not (root / "etc/group").exists()              # whiteout of a base file
        assert (root / "etc/passwd").exists()


def test_target_stage_and_scratch(engine, busybox_image, build_ctx):
    make_context(build_ctx, {
        "Dockerfile": "FROM busybox AS tools\nRUN echo t > /t\n"
                      "FROM scratch AS final\nCOPY --from=tools /t /t\nCOPY a.txt /\n"
                      "FROM final AS extra\nRUN never\n",
        "a.txt": "A"})
    info, log = build(engine, build_ctx, target="final", tags=("scratchy:1",))
    assert all("never" not in t for t in log.titles().values())
    cfg = engine.images.get(info.id).config
    assert len(cfg["rootfs"]["diff_ids"]) == 2
    assert cfg["config"]["Env"] == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    with image_root(engine, info.id) as root:
        assert sorted(os.listdir(root)) == ["a.txt", "t"]
    with pytest.raises(BuildError, match="target stage 'nope' could not be found"):
        build(engine, build_ctx, target="nope")


HEREDOCS = """\
FROM busybox
ARG WHO=world
ENV FROM_ENV=env-value
SHELL ["/bin/sh", "-e", "-c"]
RUN <<EOF
echo "hello $WHO" > /hello
echo "$FROM_ENV" >> /hello
EOF
COPY <<-NOTE /notes/readme.txt
\twho=${WHO}
\tNOTE
RUN cat > /script <<'EOT'
literal $HOME
EOT
ONBUILD RUN echo triggered > /onbuild.txt
"""


def test_heredocs_args_shell_and_onbuild(engine, busybox_image, build_ctx):
    make_context(build_ctx, {"Dockerfile": HEREDOCS})
    info, _ = build(engine, build_ctx, tags=("parent:1",), build_args={"WHO": "docker"})
    cfg = engine.images.get(info.id).config["config"]
    assert cfg["Shell"] == ["/bin/sh", "-e", "-c"]
    assert cfg["OnBuild"] == ["RUN echo triggered > /onbuild.txt"]
    with image_root(engine, info.id) as root:
        assert (root / "hello").read_text() == "hello docker\nenv-value\n"
        assert (root / "notes/readme.txt").read_text() == "who=docker\n"
        assert (root / "script").read_text() == "literal $HOME\n"
    child_ctx = make_context(build_ctx.parent / "child", {"Dockerfile": "FROM parent:1\n"})
    child, _ = build(engine, child_ctx, tags=("child:1",))
    assert not engine.images.get(child.id).config["config"].get("OnBuild")
    with image_root(engine, child.id) as root:
        assert (root / "onbuild.txt").read_text() == "triggered\n"


def test_dockerignore_and_add_archive(engine, busybox_image, build_ctx):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        data = b"inside\n"
        ti = tarfile.TarInfo("pkg/inside.txt")
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
    make_context(build_ctx, {
        "Dockerfile": "FROM busybox\nCOPY . /ctx/\nADD bundle.tar.gz /opt/\nADD plain.txt /opt/\n",
        ".dockerignore": "*.log\nsecret/\n!secret/public.txt\nDockerfile\n",
        "keep.txt": "k", "debug.log": "x", "sub/trace.log": "nested-not-excluded",
        "secret/key.pem": "s", "secret/public.txt": "p",
        "bundle.tar.gz": gzip.compress(buf.getvalue()), "plain.txt": "plain"})
    info, _ = build(engine, build_ctx)
    with image_root(engine, info.id) as root:
        ctx = root / "ctx"
        assert (ctx / "keep.txt").exists() and not (ctx / "debug.log").exists()
        assert (ctx / "sub/trace.log").exists()            # *.log only matches the root level
        assert not (ctx / "secret/key.pem").exists() and (ctx / "secret/public.txt").exists()
        assert not (ctx / "Dockerfile").exists() and (ctx / ".dockerignore").exists()
        assert (root / "opt/pkg/inside.txt").read_text() == "inside\n"
        assert (root / "opt/plain.txt").read_text() == "plain"


def test_failing_run_leaves_no_tag(engine, busybox_image, build_ctx):
    make_context(build_ctx, {"Dockerfile": "FROM busybox\nRUN echo before\nRUN echo oops >&2; exit 3\n"})
    log = BuildLog()
    with pytest.raises(BuildError) as e:
        engine.builder.build(BuildSpec(context=str(build_ctx), tags=("broken:1",)), log)
    assert str(e.value) == ('Dockerfile:3: process "/bin/sh -c echo oops >&2; exit 3" did not '
                            "complete successfully: exit code: 3")
    assert "oops" in log.logs()
    assert "ERROR" in log.status_of("exit 3")
    with pytest.raises(NotFound):
        engine.images.inspect("broken:1")


@pytest.mark.parametrize("dockerfile,message", [
    ("FROM busybox\nCOPY missing.txt /\n", "COPY failed: file not found in build context: 'missing.txt'"),
    ("FROM busybox\nCOPY ../outside /\n", "forbidden path outside the build context: ../outside"),
    ("FROM busybox\nCOPY *.nothing /\n", "file not found in build context: '*.nothing'"),
    ("FROM busybox\nCOPY --chown=ghost a.txt /\n", "no such user 'ghost'"),
    ("FROM busybox\nADD http://127.0.0.1:9/x.tgz /\n",
     "Dockerfile:2: ADD failed: cannot download http://127.0.0.1:9/x.tgz"),
    ("FROM busybox\nRUN --mount=type=ssh,required=true true\n",
     'Dockerfile:2: no SSH key "default" forwarded from the client'),
    ("FROM busybox\nRUN --mount=type=secret,id=tok,required true\n", "secret 'tok' is required"),
    ("FROM busybox\nRUNN x\n", "Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)"),
    ("FROM busybox\nCOPY a.txt a.txt /dir\n", "Dockerfile:2: When using COPY with more than one "
     "source file, the destination must be a directory and end with a /"),
    ("FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /x /x\n",
     "circular dependency between build stages"),
    ("FROM busybox\nCOPY --chmod=rwx a.txt /\n", "invalid chmod parameter 'rwx'"),
    ("FROM busybox\nHEALTHCHECK --interval=5 CMD true\n", "invalid duration '5'"),
    ("FROM busybox\nUSER ghost\nWORKDIR /w\n", "no such user 'ghost'"),
    ("FROM 127.0.0.1:9/nope/base:1\nRUN true\n",
     "failed to resolve source metadata for 127.0.0.1:9/nope/base:1"),
])
def test_bad_input(engine, busybox_image, build_ctx, dockerfile, message):
    make_context(build_ctx, {"Dockerfile": dockerfile, "a.txt": "a"})
    with pytest.raises(BuildError) as e:
        build(engine, build_ctx, tags=("bad:1",))
    assert message in str(e.value)
    with pytest.raises(NotFound):
        engine.images.inspect("bad:1")


def test_missing_dockerfile(engine, build_ctx):
    with pytest.raises(BuildError, match="failed to read dockerfile"):
        build(engine, build_ctx)
