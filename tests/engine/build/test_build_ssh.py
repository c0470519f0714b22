"""RUN --mount=type=ssh: the build's agent socket forwarded into the RUN container.

The agent is a small Python server on a real unix socket that answers the SSH agent
protocol's "list identities" request with one made-up ed25519 key; the RUN uses the real
``ssh-add -L`` (copied into the image with its libraries) to talk to it.
"""
import os
import shutil
import socket
import struct
import subprocess
import threading
import uuid

import pytest

from engine.errors import BuildError
from tests.fixtures.build import build, image_root, make_context

pytestmark = pytest.mark.root

COMMENT = "pycompose-fake-key"


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


class FakeAgent:
    """Answers SSH_AGENTC_REQUEST_IDENTITIES (11) with one key; counts requests."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.requests = 0
        self.blob = _string(b"ssh-ed25519") + _string(bytes(range(32)))
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                self._answer(conn)

    def _answer(self, conn) -> None:
        while True:
            head = conn.recv(4)
            if len(head) < 4:
                return
            body = conn.recv(struct.unpack(">I", head)[0])
            self.requests += 1
            if body[:1] == b"\x0b":
                reply = b"\x0c" + struct.pack(">I", 1) + _string(self.blob) + _string(COMMENT.encode())
            else:
                reply = b"\x05"                 # SSH_AGENT_FAILURE
            conn.sendall(struct.pack(">I", len(reply)) + reply)

    def close(self) -> None:
        self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()
        self.thread.join(timeout=5)
        os.unlink(self.path)


@pytest.fixture
def agent():
    path = f"/run/pyc-test-agent-{uuid.uuid4().hex[:8]}.sock"
    a = FakeAgent(path)
    yield a
    a.close()


def _ssh_add_files(ctx) -> None:
    """ssh-add and the shared libraries it needs, at their host paths under ctx/sshbin."""
    binary = shutil.which("ssh-add")
    assert binary, "ssh-add (openssh-client) is needed for this test"
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths = [binary] + [w for line in out.splitlines() for w in line.split() if w.startswith("/")]
    for path in paths:
        dest = ctx / "sshbin" / os.path.realpath(path).lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.realpath(path), dest)
        if os.path.realpath(path) != path:          # keep the name the loader asks for
            link = ctx / "sshbin" / path.lstrip("/")
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                os.symlink(os.path.realpath(path), link)


def test_ssh_agent_is_forwarded_into_run(engine, busybox_image, build_ctx, agent, monkeypatch):
    _ssh_add_files(build_ctx)
    make_context(build_ctx, {"Dockerfile": (
        "FROM busybox\nCOPY sshbin/ /\n"
        "RUN --mount=type=ssh echo \"sock=$SSH_AUTH_SOCK $(stat -c '%u %a' $SSH_AUTH_SOCK)\" "
        "&& test -S $SSH_AUTH_SOCK && ssh-add -L\n"
        "RUN --mount=type=ssh,id=other,target=/agent.sock,uid=1000,mode=0660 "
        "stat -c 'other=%n %u %a' /agent.sock && SSH_AUTH_SOCK=/agent.sock ssh-add -L\n"
        "RUN --mount=type=ssh,id=absent echo \"optional=$SSH_AUTH_SOCK\" "
        "&& test ! -e $SSH_AUTH_SOCK\n")})
    monkeypatch.setenv("SSH_AUTH_SOCK", agent.path)
    info, log = build(engine, build_ctx, ssh={"default": "", "other": agent.path})
    logs = log.logs()
    assert "sock=/run/buildkit/ssh_agent.0 0 600" in logs
    keys = [line for line in logs if line.startswith("ssh-ed25519 ") and line.endswith(COMMENT)]
    assert len(keys) == 2                       # both RUNs reached the agent
    assert "other=/agent.sock 1000 660" in logs
    assert "optional=/run/buildkit/ssh_agent.0" in logs
    assert agent.requests >= 2
    # the socket and its mount point are not part of the image
    with image_root(engine, info.id) as root:
        assert not (root / "run/buildkit").exists() and not (root / "agent.sock").exists()


def test_ssh_errors(engine, busybox_image, build_ctx, monkeypatch, tmp_path):
    make_context(build_ctx, {"Dockerfile": "FROM busybox\nRUN --mount=type=ssh,required true\n"})
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    with pytest.raises(BuildError, match="invalid empty ssh agent socket.*SSH_AUTH_SOCK"):
        build(engine, build_ctx, ssh={"default": ""})
    missing = tmp_path / "gone.sock"
    with pytest.raises(BuildError, match=f"invalid ssh agent socket for --ssh default: {missing}: "
                                         "no such file"):
        build(engine, build_ctx, ssh={"default": str(missing)})
    key = tmp_path / "id_ed25519"
    key.write_text("not a socket")
    with pytest.raises(BuildError, match="not an ssh agent socket"):
        build(engine, build_ctx, ssh={"default": str(key)})
    with pytest.raises(BuildError, match='Dockerfile:2: no SSH key "default" forwarded'):
        build(engine, build_ctx)
