"""RUN --mount=type=cache|bind|tmpfs|secret|ssh: parsing and activation.

    mounts = parse_run_mounts(run, stage_state, node)   # [RunMount]
    m.key                                               # what goes into the step's cache key
    m.activate(exit_stack, scratch) -> engine.types.Mount

cache  a persistent directory under the build cache (id= defaults to the target), survives
       builds, not part of the image; uid/gid/mode applied when it is first created
bind   read-only (``rw`` gives a throw-away copy) view of the context, a stage (``from=``)
       or an image; ``source=`` picks a path inside it
tmpfs  an empty tmpfs (``size=``)
secret a file from the build's secrets (``id=``, default target /run/secrets/<id>);
       ``required`` makes a missing secret an error; never in the image or the cache key
ssh    the build's SSH agent ``id=`` (default "default", see sshagent.py) through a proxy
       socket at ``target`` (default /run/buildkit/ssh_agent.<n>); ``required`` makes a
       missing agent an error, otherwise the mount is left out (SSH_AUTH_SOCK still set)
"""
from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
from dataclasses import dataclass, field

from ..errors import BuildError
from ..types import Mount
from .context import tree_digest
from .instructions import flag_values
from .mounting import overlay_mounted

MOUNT_TYPES = ("cache", "bind", "tmpfs", "secret", "ssh")
BOOL_KEYS = ("readonly", "ro", "rw", "readwrite", "required")


def _parse_spec(text: str, line: int) -> dict:
    out: dict = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        k, eq, v = part.partition("=")
        k = k.lower()
        if not eq:
            if k not in BOOL_KEYS:
                raise BuildError(f"Dockerfile:{line}: invalid --mount field {part!r}")
            v = "true"
        out[k] = v
    kind = out.get("type", "bind")
    if kind not in MOUNT_TYPES:
        raise BuildError(f"Dockerfile:{line}: unsupported mount type {kind!r} "
                         f"(use one of {', '.join(MOUNT_TYPES)})")
    out["type"] = kind
    return out


def _truthy(spec: dict, *names: str) -> bool:
    return any(spec.get(n, "false").lower() in ("true", "1", "") for n in names if n in spec)


@dataclass
class RunMount:
    spec: dict
    target: str
    key: str
    host: str = ""
    stage_lowers: list = field(default_factory=list)
    copy: bool = False
    skip: bool = False          # an optional ssh mount without an agent

    def activate(self, stack: contextlib.ExitStack, scratch) -> Mount | None:
        kind = self.spec["type"]
        if self.skip:
            return None
        if kind == "ssh":
            from .sshagent import AgentProxy
            mode = int(self.spec.get("mode") or "600", 8)
            proxy = AgentProxy(self.host, int(self.spec.get("uid") or 0),
                               int(self.spec.get("gid") or 0), mode)
            return Mount(type="bind", source=stack.enter_context(proxy), target=self.target)
        if kind == "tmpfs":
            size = self.spec.get("size")
            return Mount(type="tmpfs", target=self.target,
                         tmpfs_size=int(size) if size and size.isdigit() else None)
        source = self.host
        if self.stage_lowers:
            n = len(list(scratch.glob("bind-*")))
            base = scratch / f"bind-{n}"
            for sub in ("u", "w", "m"):
                (base / sub).mkdir(parents=True)
            root = stack.enter_context(overlay_mounted(self.stage_lowers, str(base / "u"),
                                                       str(base / "w"), str(base / "m")))
            source = os.path.join(root, self.spec.get("source", "").lstrip("/"))
        if self.copy:
            dest = scratch / f"rw-{len(list(scratch.glob('rw-*')))}"
            if os.path.isdir(source):
                shutil.copytree(source, dest, symlinks=True)
            else:
                shutil.copy2(source, dest)
            source = str(dest)
        writable = self.copy or (self.stage_lowers and _truthy(self.spec, "rw", "readwrite"))
        read_only = kind == "secret" or (kind == "bind" and not writable)
        return Mount(type="bind", source=source, target=self.target, read_only=read_only)


def parse_run_mounts(run, st, node) -> list[RunMount]:
    mounts = []
    ssh_count = 0
    for text in flag_values(node, "mount"):
        spec = _parse_spec(text or "", node.line)
        if spec["type"] == "ssh":
            spec["_index"] = str(ssh_count)
            ssh_count += 1
        m = _make(run, st, node, spec)
        if m is not None:
            mounts.append(m)
    return mounts


def _target(spec: dict, st, node, default: str = "") -> str:
    target = spec.get("target") or spec.get("dst") or spec.get("destination") or default
    if not target:
        raise BuildError(f"Dockerfile:{node.line}: --mount type={spec['type']} needs a target")
    if not target.startswith("/"):
        target = posixpath.join(st.workdir(), target)
    return posixpath.normpath(target)


def _make(run, st, node, spec: dict):
    kind = spec["type"]
    if kind == "ssh":
        return _ssh(run, st, node, spec)
    if kind == "tmpfs":
        target = _target(spec, st, node)
        return RunMount(spec, target, f"tmpfs:{target}")
    if kind == "cache":
        target = _target(spec, st, node)
        cache_dir = run.cache.cache_mount_dir(spec.get("id") or target)
        _init_cache_dir(cache_dir, spec)
        return RunMount(spec, target, f"cache:{target}", host=str(cache_dir))
    if kind == "secret":
        sid = spec.get("id") or os.path.basename(spec.get("target", "") or "")
        target = _target(spec, st, node, f"/run/secrets/{sid}")
        path = run.spec.secrets.get(sid)
        if not path or not os.path.exists(path):
            if _truthy(spec, "required"):
                raise BuildError(f"Dockerfile:{node.line}: secret {sid!r} is required "
                                 "but was not provided")
            return None
        return RunMount(spec, target, f"secret:{target}", host=path)
    return _bind(run, st, node, spec)


def _ssh(run, st, node, spec: dict) -> RunMount:
    sid = spec.get("id") or "default"
    target = _target(spec, st, node, f"/run/buildkit/ssh_agent.{spec['_index']}")
    agent = run.ssh_agents.get(sid)
    if agent is None and _truthy(spec, "required"):
        raise BuildError(f'Dockerfile:{node.line}: no SSH key "{sid}" forwarded from the '
                         f"client (pass --ssh {sid}[=SOCKET] or set build.ssh)")
    for key in ("mode", "uid", "gid"):
        value = spec.get(key)
        if value and not value.isdigit():
            raise BuildError(f"Dockerfile:{node.line}: invalid {key}={value!r} for --mount=type=ssh")
    return RunMount(spec, target, f"ssh:{target}", host=agent or "", skip=agent is None)


def _init_cache_dir(cache_dir, spec: dict) -> None:
    marker = cache_dir / ".." / (cache_dir.name + ".init")
    if marker.exists():
        return
    mode = spec.get("mode")
    os.chmod(cache_dir, int(mode, 8) if mode else 0o755)
    os.chown(cache_dir, int(spec.get("uid", 0)), int(spec.get("gid", 0)))
    marker.touch()


def _bind(run, st, node, spec: dict) -> RunMount:
    target = _target(spec, st, node)
    origin = spec.get("from", "")
    source = spec.get("source") or spec.get("src") or ""
    rw = _truthy(spec, "rw", "readwrite")
    if not origin or (origin in run.spec.additional_contexts and
                      not run.spec.additional_contexts[origin].startswith("docker-image://")):
        tree = run.context if not origin else run.named_context(origin)
        srcs = tree.resolve([source or "."], "RUN --mount")
        digest = tree_digest(tree, srcs, run.statcache)
        return RunMount(spec, target, f"bind:{target}:{source}:{rw}:{digest}",
                        host=srcs[0].path, copy=rw)
    stage = run.df.stage_by_ref(origin)
    if stage is not None:
        other = run.stage_result(stage.index)
        lowers = run.fit_lowers(other.lowerdirs())
        return RunMount(spec, target, f"bind:{target}:{source}:{rw}:{other.key}",
                        stage_lowers=lowers)
    image_id, lowers = run.image_source(origin)
    return RunMount(spec, target, f"bind:{target}:{source}:{rw}:{image_id}",
                    stage_lowers=list(lowers))
