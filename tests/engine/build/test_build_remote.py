"""Git and URL build contexts: local repositories are cloned and built, an HTTP context
served from 127.0.0.1 is downloaded, unreachable remotes fail naming the URL."""
import functools
import http.server
import io
import subprocess
import tarfile
import threading

import pytest

from compose.build_project import build_services
from compose.loader import LoadOptions, load_project
from engine.errors import BuildError
from tests.fixtures.build import BuildLog, build, image_root, make_context

pytestmark = pytest.mark.root


def _git(repo, *args):
    return subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                          cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    """main: app/ with version one (tag v1), then version two; HEAD = main."""
    path = tmp_path / "repo"
    make_context(path, {"app/Dockerfile": "FROM busybox\nCOPY version.txt /version.txt\n",
                        "app/version.txt": "one\n", "README": "top"})
    _git(path, "init", "-q", "-b", "main")
    _git(path, "add", ".")
    _git(path, "commit", "-qm", "one")
    _git(path, "tag", "v1")
    first = _git(path, "rev-parse", "HEAD")
    (path / "app/version.txt").write_text("two\n")
    _git(path, "commit", "-qam", "two")
    (path / "app/version.txt").write_text("dirty, not committed\n")
    return path, first


def _version(engine, image_id):
    with image_root(engine, image_id) as root:
        return (root / "version.txt").read_text()


def test_local_git_contexts(engine, busybox_image, repo):
    path, first = repo
    info, log = build(engine, f"file://{path}#main:app")
    assert _version(engine, info.id) == "two\n"        # the commit, not the work tree
    assert any("[internal] load git source" in t for t in log.titles().values())
    again, log = build(engine, f"file://{path}#main:app")
    assert again.id == info.id and log.status_of("COPY version.txt") == ["CACHED"]
    info, _ = build(engine, f"file://{path}#v1:app")
    assert _version(engine, info.id) == "one\n"
    info, _ = build(engine, f"{path}#{first}:app")         # a local path URL, by commit
    assert _version(engine, info.id) == "one\n"
    info, _ = build(engine, f"file://{path}", dockerfile="app/Dockerfile",
                    dockerfile_inline="FROM busybox\nCOPY README /r\n")
    with image_root(engine, info.id) as root:
        assert (root / "r").read_text() == "top"
        assert not (root / ".git").exists()
    info, _ = build(engine, str(path / "app"), additional_contexts={"old": f"file://{path}#v1:app"},
                    dockerfile_inline="FROM busybox\nCOPY --from=old version.txt /version.txt\n")
    assert _version(engine, info.id) == "one\n"           # a git additional context
    with pytest.raises(BuildError, match=r"git context .*#main:nope: directory 'nope' not found"):
        build(engine, f"file://{path}#main:nope")
    with pytest.raises(BuildError, match=rf"failed to fetch git context file://{path}#nobranch"):
        build(engine, f"file://{path}#nobranch")


def test_compose_git_context(engine, busybox_image, repo, tmp_path):
    path, _ = repo
    make_context(tmp_path / "proj", {"compose.yaml": (
        f"services:\n  web:\n    build:\n      context: {path}#v1:app\n")})
    project = load_project(LoadOptions(files=[str(tmp_path / "proj/compose.yaml")],
                                       project_name="gitctx", environ={}))
    built = build_services(project, engine, ["web"], None, BuildLog())
    assert _version(engine, built["web"].id) == "one\n"
    assert engine.images.inspect("gitctx-web").id == built["web"].id


def test_unreachable_remote_contexts(engine, busybox_image):
    url = "https://127.0.0.1:1/team/app.git#main:src"
    with pytest.raises(BuildError, match=rf"failed to fetch git context {url}: .*network"):
        build(engine, url)
    with pytest.raises(BuildError, match="unable to download remote context "
                                         "http://127.0.0.1:1/ctx.tar.gz: .*network"):
        build(engine, "http://127.0.0.1:1/ctx.tar.gz")
    with pytest.raises(BuildError, match="unsupported build context ftp://x/y"):
        build(engine, "ftp://x/y")


@pytest.fixture
def http_root(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_contexts(engine, busybox_image, http_root):
    root, base = http_root
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in (("Dockerfile", b"FROM busybox\nCOPY version.txt /\n"),
                           ("version.txt", b"from-tarball\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    (root / "ctx.tar.gz").write_bytes(buf.getvalue())
    (root / "Dockerfile.txt").write_text("FROM busybox\nRUN echo plain > /version.txt\n")
    info, _ = build(engine, f"{base}/ctx.tar.gz")
    assert _version(engine, info.id) == "from-tarball\n"
    info, _ = build(engine, f"{base}/Dockerfile.txt")
    assert _version(engine, info.id) == "plain\n"
    with pytest.raises(BuildError, match=rf"unable to download remote context {base}/gone: HTTP 404"):
        build(engine, f"{base}/gone")


def test_git_context_relative_path_owned_by_another_user(engine, busybox_image, repo, monkeypatch):
    import os
    path, _ = repo
    for dirpath, dirs, files in os.walk(path):          # git's "dubious ownership" case
        for name in dirs + files:
            os.lchown(os.path.join(dirpath, name), 12345, 12345)
    os.chown(path, 12345, 12345)
    monkeypatch.chdir(path.parent)
    info, _ = build(engine, f"{path.name}#v1:app")
    assert _version(engine, info.id) == "one\n"
