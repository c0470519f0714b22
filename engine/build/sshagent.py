"""SSH agent forwarding for ``RUN --mount=type=ssh`` (``--ssh``, compose ``build.ssh``).

    spec_ssh = ssh_map(["default", "deploy=/run/agent.sock"])   # --ssh values -> {id: path}
    agents = resolve_agents(spec_ssh)                 # id -> agent socket path, checked
    with AgentProxy(agent_path, uid, gid, mode) as sock_path:
        ...bind-mount sock_path into the RUN container...

Like BuildKit, the RUN container does not see the host's socket itself: a proxy socket
(owned by ``uid``:``gid``, mode ``mode``; BuildKit's defaults 0:0 0600) forwards every
connection to the agent. ``--ssh`` values: ``default`` (= $SSH_AUTH_SOCK) or
``ID=/path/to/agent.sock``. Key files (BuildKit starts an agent for them) are refused with
a message saying to load them into an agent.
"""
from __future__ import annotations

import os
import selectors
import shutil
import socket
import stat
import tempfile
import threading

from ..errors import BuildError

DEFAULT_ID = "default"


def ssh_map(entries) -> dict:
    """``--ssh`` / compose ``build.ssh`` (``default``, ``ID=PATH``, or the canonical
    mapping) -> {id: path}; an empty path means $SSH_AUTH_SOCK (see resolve_agents)."""
    if isinstance(entries, dict):
        return {str(k): ("" if v is None else str(v)) for k, v in entries.items()}
    out = {}
    for entry in entries or ():
        sid, _, path = str(entry).partition("=")
        out[sid.strip() or DEFAULT_ID] = path.strip()
    return out


def resolve_agents(ssh: dict) -> dict:
    """``{id: path or ""/None}`` -> ``{id: agent socket path}``; a clear error for a
    missing socket or a key file."""
    out = {}
    for sid, path in (ssh or {}).items():
        sid = sid or DEFAULT_ID
        path = path or os.environ.get("SSH_AUTH_SOCK", "")
        if not path:
            raise BuildError(f"invalid empty ssh agent socket for --ssh {sid}: make sure "
                             "SSH_AUTH_SOCK is set")
        try:
            mode = os.stat(path).st_mode
        except OSError as e:
            raise BuildError(f"invalid ssh agent socket for --ssh {sid}: {path}: "
                             f"{e.strerror.lower() if e.strerror else e}") from None
        if not stat.S_ISSOCK(mode):
            raise BuildError(f"--ssh {sid}={path}: not an ssh agent socket (pycompose forwards "
                             "agents only: load the key with ssh-add and pass the agent socket)")
        out[sid] = path
    return out


class AgentProxy:
    """A unix socket that forwards each connection to ``agent_path`` (a context manager
    yielding the proxy socket's path)."""

    def __init__(self, agent_path: str, uid: int = 0, gid: int = 0, mode: int = 0o600) -> None:
        self.agent_path = agent_path
        base = "/run" if os.access("/run", os.W_OK) else None
        self.dir = tempfile.mkdtemp(prefix="pycompose-ssh-", dir=base)
        self.path = os.path.join(self.dir, "agent.sock")
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        os.chown(self.path, uid, gid)
        os.chmod(self.path, mode)
        self.server.listen(16)
        self.thread = threading.Thread(target=self._accept, daemon=True, name="ssh-agent-proxy")
        self.thread.start()

    def __enter__(self) -> str:
        return self.path

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.server.shutdown(socket.SHUT_RDWR)      # wakes the accept() below
        except OSError:
            pass
        self.server.close()
        self.thread.join(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(conn,), daemon=True).start()

    def _pipe(self, conn: socket.socket) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(self.agent_path)
        except OSError:
            conn.close()
            upstream.close()
            return
        with conn, upstream, selectors.DefaultSelector() as sel:
            sel.register(conn, selectors.EVENT_READ, upstream)
            sel.register(upstream, selectors.EVENT_READ, conn)
            while True:
                for key, _ in sel.select():
                    try:
                        data = key.fileobj.recv(65536)
                        if not data:
                            return
                        key.data.sendall(data)
                    except OSError:
                        return
