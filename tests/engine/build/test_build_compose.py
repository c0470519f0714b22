"""Compose-level builds (compose.build_project) and the two CLI verbs."""
import pytest

from compose.build_project import BuildOptions, build_services
from compose.loader import LoadOptions, load_project
from tests.fixtures.build import BuildLog, image_root, make_context

pytestmark = pytest.mark.root

COMPOSE = """\
services:
  base:
    build:
      context: ./base
      args:
        GREETING: from-compose
  app:
    build:
      context: ./app
      dockerfile: app.Dockerfile
      additional_contexts:
        base: service:base
      labels:
        org.example.role: app
      tags: ["extra/app:v1"]
  inline:
    image: custom/inline:2
    build:
      context: .
      dockerfile_inline: |
        FROM busybox
        COPY marker.txt /marker.txt
  db:
    image: busybox
"""


def _project(tmp_path):
    make_context(tmp_path, {
        "compose.yaml": COMPOSE, "marker.txt": "m",
        "base/Dockerfile": "FROM busybox\nARG GREETING\nRUN echo $GREETING > /greeting\n",
        "app/app.Dockerfile": "FROM base\nCOPY --from=base /greeting /app/greeting\n"
                              "RUN cat /greeting\n"})
    return load_project(LoadOptions(files=[str(tmp_path / "compose.yaml")], project_name="bp",
                                    environ={}))


def test_build_services(engine, busybox_image, tmp_path):
    project = _project(tmp_path)
    log = BuildLog()
    built = build_services(project, engine, ["app", "inline", "db"], None, log)
    assert sorted(built) == ["app", "base", "inline"]
    app = engine.images.inspect("bp-app")
    assert "docker.io/extra/app:v1" in app.repo_tags
    labels = engine.images.get(app.id).config["config"]["Labels"]
    assert labels["com.docker.compose.project"] == "bp"
    assert labels["com.docker.compose.service"] == "app"
    assert labels["org.example.role"] == "app"
    assert engine.images.inspect("bp-base").id == built["base"].id
    assert engine.images.inspect("custom/inline:2").id == built["inline"].id
    with image_root(engine, app.id) as root:
        assert (root / "app/greeting").read_text() == "from-compose\n"
    assert "from-compose" in log.logs()
    # CLI --build-arg overrides the file's args
    build_services(project, engine, ["base"], BuildOptions(build_args={"GREETING": "cli"}))
    with image_root(engine, engine.images.inspect("bp-base").id) as root:
        assert (root / "greeting").read_text() == "cli\n"


EXTRAS = """\
services:
  extras:
    build:
      context: .
      target: final
      network: none
      extra_hosts:
        db.internal: 10.1.2.3
      secrets: [token]
secrets:
  token:
    environment: BUILD_TOKEN
"""


def test_build_section_extras(engine, busybox_image, tmp_path):
    make_context(tmp_path, {
        "compose.yaml": EXTRAS,
        "Dockerfile": "FROM busybox AS final\n"
                      "RUN --mount=type=secret,id=token,required cat /run/secrets/token > /token-copy\n"
                      "RUN grep db.internal /etc/hosts > /hosts-line\n"
                      "FROM busybox AS other\nRUN exit 9\n"})
    project = load_project(LoadOptions(files=[str(tmp_path / "compose.yaml")], project_name="bx",
                                       environ={"BUILD_TOKEN": "tok-123"}))
    built = build_services(project, engine, ["extras"])     # value from the project's env
    with image_root(engine, built["extras"].id) as root:
        assert (root / "token-copy").read_text() == "tok-123"
        assert (root / "hosts-line").read_text().split() == ["10.1.2.3", "db.internal"]


def test_cli_image_build_and_compose_build(engine_dirs, busybox_layer, tmp_path, capsys, monkeypatch):
    from compose.cli.main import run
    from engine.api import Engine
    root, runroot = engine_dirs
    Engine(root, runroot).images.import_tarball(busybox_layer, "busybox:latest")
    ctx = make_context(tmp_path / "ctx", {"Dockerfile": "FROM busybox\nRUN echo cli-run\n"})
    base = ["--root", str(root), "--runroot", str(runroot)]
    assert run(base + ["image", "build", "-q", "-t", "cli:1", str(ctx)]) == 0
    out, err = capsys.readouterr()
    image_id = out.strip()
    assert image_id.startswith("sha256:") and err == ""
    assert Engine(root, runroot).images.inspect("cli:1").id == image_id
    assert run(base + ["--progress", "plain", "image", "build", "-t", "cli:1", str(ctx)]) == 0
    _, err = capsys.readouterr()
    assert "[2/2] RUN echo cli-run" in err and "CACHED" in err
    (tmp_path / "alt.Dockerfile").write_text("FROM busybox\nRUN echo alt\n")
    monkeypatch.chdir(tmp_path)                 # -f is relative to the current directory
    assert run(base + ["image", "build", "-f", "alt.Dockerfile", "-t", "alt:1", str(ctx)]) == 0
    _, err = capsys.readouterr()
    assert "RUN echo alt" in err
    (ctx / "Dockerfile").write_text("FROM busybox\nRUNN x\n")
    assert run(base + ["image", "build", str(ctx)]) == 1
    _, err = capsys.readouterr()
    assert err.strip().endswith("Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)")
    project_dir = make_context(tmp_path / "proj", {
        "compose.yaml": "services:\n  web:\n    build: .\n",
        "Dockerfile": "FROM busybox\nRUN echo compose-built\n"})
    assert run(base + ["-f", str(project_dir / "compose.yaml"), "-p", "clip", "build"]) == 0
    _, err = capsys.readouterr()
    assert "compose-built" in err
    assert Engine(root, runroot).images.inspect("clip-web").repo_tags == ("docker.io/library/clip-web:latest",)
    assert run(base + ["builder", "prune", "-f"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("Total:")
    assert not any((Engine(root, runroot).layout.build_cache / "records").iterdir())


ORDER = """\
services:
  web: {build: ., depends_on: [api]}
  api: {build: ., depends_on: [db]}
  db: {build: .}
  cache: {image: busybox}
  uses: {build: {context: ., additional_contexts: {w: "service:web"}}}
"""


@pytest.mark.parametrize("names,with_deps,order", [
    (["web"], False, ["web"]),
    (["web"], True, ["db", "api", "web"]),
    (["uses", "cache"], False, ["web", "uses"]),
])
def test_build_order(tmp_path, names, with_deps, order):
    from compose.build_project import _order
    make_context(tmp_path, {"compose.yaml": ORDER, "Dockerfile": "FROM busybox\n"})
    project = load_project(LoadOptions(files=[str(tmp_path / "compose.yaml")], project_name="o",
                                       environ={}))
    assert _order(project, names, BuildOptions(with_dependencies=with_deps)) == order


def test_compose_ssh_and_cache_from(engine, busybox_image, tmp_path, monkeypatch):
    """build.ssh (list form: default = $SSH_AUTH_SOCK, ID=PATH) reaches RUN --mount=type=ssh;
    build.cache_from names an image whose steps answer the cache after a prune."""
    import socket
    import uuid
    sock_path = f"/run/pyc-test-{uuid.uuid4().hex[:8]}.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    try:
        make_context(tmp_path, {
            "compose.yaml": "services:\n  web:\n    build:\n      context: .\n"
                            f"      ssh: [default, \"deploy={sock_path}\"]\n"
                            "      cache_from: [bp-ssh-seed]\n"
                            "      cache_to: [type=inline, \"type=local,dest=/tmp/x\"]\n",
            "Dockerfile": "FROM busybox\n"
                          "RUN --mount=type=ssh,required=true --mount=type=ssh,id=deploy,required=true "
                          "test -S $SSH_AUTH_SOCK && test -S /run/buildkit/ssh_agent.1 && echo ok > /ok\n"})
        monkeypatch.setenv("SSH_AUTH_SOCK", sock_path)
        project = load_project(LoadOptions(files=[str(tmp_path / "compose.yaml")],
                                           project_name="bp-ssh", environ={}))
        seed_log = BuildLog()
        seed = build_services(project, engine, ["web"], None, seed_log)["web"]
        warnings = [e.text for e in seed_log.events if e.status == "WARN"]
        assert any("cache_to 'type=local,dest=/tmp/x' ignored" in w for w in warnings)
        assert not any("type=inline" in w for w in warnings)
        engine.images.tag(seed.id, "bp-ssh-seed")
        engine.builder.prune()
        log = BuildLog()
        again = build_services(project, engine, ["web"], None, log)["web"]
        assert log.status_of("RUN --mount=type=ssh") == ["CACHED"]
        assert again.id == seed.id
        with image_root(engine, again.id) as root:
            assert (root / "ok").read_text() == "ok\n"
    finally:
        server.close()
        import os
        os.unlink(sock_path)
