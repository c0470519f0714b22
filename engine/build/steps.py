"""File-system steps: RUN, COPY, ADD and WORKDIR's mkdir.

Each step has a cache key (parent key + the instruction after substitution + what it reads:
build args in effect, content digests of copied files, the key of a source stage). On a hit
the recorded layer is reused without mounting anything. On a miss the step gets a fresh
overlay upper dir over the stage's layers, does its work (a process through the runtime,
or Python file operations on a mount), and the upper dir becomes the step's layer.
"""
from __future__ import annotations

import contextlib
import json
import os
import posixpath
import stat

from ..errors import BuildError, EngineError
from ..types import Mount, RootfsMount
from .context import SourceTree, tree_digest
from .fsops import (CopyOptions, is_archive, copy_sources, extract_archive, lookup_owner,
                    mkdir_p, parse_chmod, resolve_in_root, write_file)
from .instructions import flag, flag_values
from .mounting import overlay_mounted
from .runmounts import parse_run_mounts
from .shellwords import expand, expand_words
from .state import DEFAULT_PATH, PROXY_ARGS, StageState, chain_key, run_env_prefix


def fs_step(run, st: StageState, key: str, vertex, action, state_key: str = "") -> dict:
    """Run ``action(lowers, upper, work, scratch)`` unless cached; add the layer to ``st``.

    ``key`` finds the step's record (local cache, then the cache_from images); the stage's
    key becomes ``state_key`` (default ``key``; COPY --link keys its record without the
    parent but the stage still chains)."""
    rec = None if run.spec.no_cache else run.cache.get_step(key)
    if rec is None and not run.spec.no_cache and run.cache_sources is not None:
        rec = run.cache_sources.lookup(key)
    if rec is not None:
        vertex.cached()
    else:
        scratch = run.cache.scratch()
        try:
            upper, work = scratch / "upper", scratch / "work"
            upper.mkdir()
            work.mkdir()
            lowers = run.fit_lowers(st.lowerdirs())
            action(lowers, upper, work, scratch)
            layer = run.cache.commit_upper(upper, scratch)
            rec = run.cache.put_step(key, layer, run.created)
        finally:
            run.cache.discard(scratch)
        vertex.done()
    layer = run.cache.layer_of(rec)
    st.key = state_key or key
    index = -1
    if layer is not None:
        st.layers.append(layer)
        st.image.setdefault("rootfs", {"type": "layers", "diff_ids": []})
        st.image["rootfs"].setdefault("diff_ids", []).append(layer.diff_id)
        index = len(st.base_digests) + len(st.layers) - 1
    st.cache_steps.append([key, index, rec.get("created", "")])
    return rec


def _add_history(st: StageState, created_by: str, rec: dict) -> None:
    st.add_history(created_by, rec.get("created", ""), bool(rec.get("empty")))


# --------------------------------------------------------------------------- WORKDIR

def workdir_step(run, st: StageState, vertex, created_by: str) -> None:
    path = st.workdir()
    user = st.config.get("User") or ""
    key = chain_key(st.key, json.dumps([created_by, user]))

    def action(lowers, upper, work, scratch):
        with overlay_mounted(lowers, str(upper), str(work), str(scratch / "merged")) as root:
            mkdir_p(root, path, user)

    rec = fs_step(run, st, key, vertex, action)
    _add_history(st, created_by, rec)


# --------------------------------------------------------------------------- RUN

def _run_argv(node, st: StageState) -> list[str]:
    if node.json_args is not None:
        if not node.json_args:
            raise BuildError(f"{run_where(node)}: RUN needs a command")
        return list(node.json_args)
    script = node.rest
    if node.heredocs:
        words = node.rest.split()
        if len(node.heredocs) == 1 and len(words) == 1 and words[0].startswith("<<"):
            script = node.heredocs[0].content
        else:
            parts = [node.rest]
            for doc in node.heredocs:
                parts.append(doc.content.rstrip("\n"))
                parts.append(doc.name)
            script = "\n".join(parts) + "\n"
    return st.shell() + [script]


def run_where(node) -> str:
    return f"{node.filename}:{node.line}" if hasattr(node, "filename") else f"Dockerfile:{node.line}"


def _shebang_script(node):
    """(name, content) when the RUN is one heredoc whose body starts with #! (run as a file)."""
    words = node.rest.split()
    if node.json_args is None and len(node.heredocs) == 1 and len(words) == 1 and \
            words[0].startswith("<<") and node.heredocs[0].content.startswith("#!"):
        return node.heredocs[0].name, node.heredocs[0].content
    return None


def run_step(run, st: StageState, node, vertex) -> None:
    argv = _run_argv(node, st)
    script = _shebang_script(node)
    exec_argv = [f"/.pycompose-heredoc-{script[0]}"] if script else argv
    shown_args, args_env = run_env_prefix(st)
    prefix = f"|{len(shown_args)} {' '.join(shown_args)} " if shown_args else ""
    created_by = f"RUN {prefix}{' '.join(argv)} # buildkit"
    network = (flag(node, "network") or run.spec.network or "default").lower()
    if network not in ("default", "host", "none"):
        raise BuildError(f"Dockerfile:{node.line}: RUN --network={network} is not supported "
                         "(use default, host or none)")
    mounts = parse_run_mounts(run, st, node)
    key = chain_key(st.key, json.dumps([created_by, network, [m.key for m in mounts]]))
    env = {**args_env, **st.env_dict()}
    for name in PROXY_ARGS:
        if name in run.spec.build_args and name not in env:
            env[name] = run.spec.build_args[name]
    env.setdefault("PATH", DEFAULT_PATH)
    ssh_targets = [m.target for m in mounts if m.spec["type"] == "ssh"]
    if ssh_targets:                         # BuildKit: the first ssh mount is the agent
        env["SSH_AUTH_SOCK"] = ssh_targets[0]

    def action(lowers, upper, work, scratch):
        from ..runtime.oneshot import run_in_rootfs
        targets = [m.target for m in mounts if not m.skip] + (exec_argv[:1] if script else [])
        stubs = [p for t in targets for p in _missing_paths(lowers, t)]
        rootfs = RootfsMount(type="overlay", lowerdirs=tuple(lowers), upperdir=str(upper),
                             workdir=str(work))
        with contextlib.ExitStack() as stack:
            mount_list = tuple(x for x in (m.activate(stack, scratch) for m in mounts) if x)
            if script:
                path = scratch / f"script-{script[0]}"
                path.write_text(script[1])
                os.chmod(path, 0o755)
                mount_list += (Mount(type="bind", source=str(path), target=exec_argv[0],
                                     read_only=True),)
            try:
                code = run_in_rootfs(rootfs, exec_argv, env=env, user=st.config.get("User") or "",
                                     workdir=st.workdir(), mounts=mount_list,
                                     network="none" if network == "none" else "host",
                                     on_output=vertex.output,
                                     extra_hosts=tuple(run.spec.extra_hosts))
            except EngineError as e:
                raise BuildError(f"Dockerfile:{node.line}: RUN could not start: {e}") from None
        _remove_mount_stubs(upper, stubs)
        vertex.flush()
        if code != 0:
            shown = " ".join(argv)
            raise BuildError(f'Dockerfile:{node.line}: process "{shown}" did not complete '
                             f"successfully: exit code: {code}")

    rec = fs_step(run, st, key, vertex, action)
    _add_history(st, created_by, rec)


def _exists_in_lowers(lowers, cpath: str) -> bool:
    for lower in lowers:
        host = os.path.join(lower, cpath.lstrip("/"))
        if os.path.lexists(host):
            st = os.lstat(host)
            return not (stat.S_ISCHR(st.st_mode) and st.st_rdev == 0)
    return False


def _missing_paths(lowers, target: str) -> list[str]:
    """The components of a mount target that the runtime will create (deepest first)."""
    missing = []
    path = posixpath.normpath(target)
    while path not in ("/", ""):
        if _exists_in_lowers(lowers, path):
            break
        missing.append(path)
        path = posixpath.dirname(path)
    return missing


def _remove_mount_stubs(upper, stubs: list[str]) -> None:
    """Drop the empty files/dirs the runtime made as mount points (not part of the layer)."""
    for cpath in stubs:
        host = os.path.join(str(upper), cpath.lstrip("/"))
        try:
            st = os.lstat(host)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(st.st_mode):
            if not os.listdir(host):
                os.rmdir(host)
        elif stat.S_ISREG(st.st_mode) and st.st_size == 0:
            os.unlink(host)


# --------------------------------------------------------------------------- COPY / ADD

def _dest(node, st: StageState, raw_dest: str, env: dict, escape: str) -> tuple[str, bool]:
    dest = raw_dest
    ends_dir = dest.endswith("/") or dest in (".", "..") or dest.endswith("/.")
    if not dest.startswith("/"):
        dest = posixpath.join(st.workdir(), dest)
    return posixpath.normpath(dest), ends_dir


def copy_step(run, st: StageState, node, vertex, escape: str) -> None:
    env = st.expansion_env()
    words = [expand(w, env, escape) for w in node.json_args] if node.json_args is not None \
        else expand_words(node.rest, env, escape)
    *raw_sources, raw_dest = words
    dest, ends_dir = _dest(node, st, raw_dest, env, escape)
    heredocs = {d.name: d for d in node.heredocs}
    doc_sources = [w for w in raw_sources if w.startswith("<<") and w.lstrip("<-").strip("'\"") in heredocs]
    url_sources = [w for w in raw_sources if w not in doc_sources and _is_url(w)]
    file_sources = [w for w in raw_sources if w not in doc_sources and w not in url_sources]
    if url_sources and node.cmd != "add":
        raise BuildError(f"Dockerfile:{node.line}: COPY does not accept URLs "
                         f"({url_sources[0]}): use ADD")
    from .remote import fetch
    downloads = [fetch(run, url, node, flag(node, "checksum")) for url in url_sources]
    is_add = node.cmd == "add" and flag(node, "unpack", "true").lower() not in ("false", "0")
    opts = _copy_options(node, st, env, escape)
    source = SourceResolver(run, st, node, env, escape)
    digest = [source.digest(file_sources), [d.digest for d in downloads]]
    doc_payload = _heredoc_payload(node, [heredocs[w.lstrip("<-").strip("'\"")] for w in doc_sources],
                                   env, escape)
    if len(raw_sources) > 1 and not ends_dir:
        raise BuildError(f"Dockerfile:{node.line}: When using {node.cmd.upper()} with more than "
                         "one source file, the destination must be a directory and end with a /")
    dest_is_dir = ends_dir
    flags_text = " ".join(f"--{k}" if v is None else f"--{k}={v}"
                          for k, v in node.flags if k != "from")
    created_by = f"{node.cmd.upper()} {flags_text + ' ' if flags_text else ''}" \
                 f"{' '.join(raw_sources)} {raw_dest} # buildkit"
    inputs = json.dumps([created_by, dest, dest_is_dir, digest, doc_payload, source.origin_key])
    link = flag(node, "link", "false").lower() not in ("false", "0")
    key, state_key = _copy_keys(node, st, inputs, link, opts.owner_spec)

    def action(lowers, upper, work, scratch):
        mount = contextlib.nullcontext(str(upper)) if link else \
            overlay_mounted(lowers, str(upper), str(work), str(scratch / "merged"))
        with mount as root:
            if opts.owner_spec:
                opts.copy.owner = lookup_owner(root, opts.owner_spec)
            into_dir = dest_is_dir or os.path.isdir(resolve_in_root(root, dest))
            with source.tree(scratch) as tree:
                sources = tree.resolve(file_sources, node.cmd.upper()) if file_sources else []
                _copy_into(run, tree, sources, root, dest, opts.copy, into_dir, is_add, scratch)
            for dl in downloads:
                target = posixpath.join(dest, dl.name) if into_dir else dest
                write_file(root, target, dl.path.read_bytes(), opts.copy, mode=0o600)
            for name, body in doc_payload:
                target = posixpath.join(dest, name) if into_dir else dest
                write_file(root, target, body.encode(), opts.copy)

    rec = fs_step(run, st, key, vertex, action, state_key)
    _add_history(st, created_by, rec)


def _heredoc_payload(node, docs, env: dict, escape: str) -> list:
    """(name, body) of the heredoc sources, expanded unless the delimiter was quoted."""
    return [(doc.name, expand(doc.content, env, escape) if doc.expand else doc.content)
            for doc in docs]


def _copy_keys(node, st: StageState, inputs: str, link: bool, owner_spec: str) -> tuple[str, str]:
    """(record key, stage key after the step). ``--link``: the record key leaves the parent
    out, so the layer is reused whatever is below it; the stage key still chains."""
    if not link:
        return chain_key(st.key, inputs), ""
    _check_link_owner(node, owner_spec)
    key = chain_key("link", inputs)
    return key, chain_key(st.key, key)


def _check_link_owner(node, owner_spec: str) -> None:
    """COPY --link writes onto an empty layer: user and group names cannot be looked up."""
    if owner_spec and not all(p.isdigit() for p in owner_spec.split(":") if p):
        raise BuildError(f"Dockerfile:{node.line}: {node.cmd.upper()} --link --chown="
                         f"{owner_spec}: a linked copy cannot look up user or group names in "
                         "the image (use numeric uid:gid)")


def _is_url(word: str) -> bool:
    return "://" in word or word.startswith("git@")


class _Opts:
    def __init__(self, copy_opts: CopyOptions, owner_spec: str) -> None:
        self.copy = copy_opts
        self.owner_spec = owner_spec


def _copy_options(node, st: StageState, env: dict, escape: str) -> _Opts:
    chown = flag(node, "chown")
    chmod = flag(node, "chmod")
    opts = CopyOptions(keep_owner=bool(flag(node, "from")),
                       chmod=parse_chmod(expand(chmod, env, escape)) if chmod else None,
                       parents=flag(node, "parents", "false") in ("true", "1"))
    excludes = [expand(v, env, escape) for v in flag_values(node, "exclude") if v]
    if excludes:
        from .dockerignore import Matcher, read_patterns
        opts.exclude = Matcher(read_patterns("\n".join(excludes)))
    return _Opts(opts, expand(chown, env, escape) if chown else "")


def _copy_into(run, tree, sources, root, dest, opts, into_dir, is_add, scratch) -> None:
    local = []
    for src in sources:
        if is_add and not src.is_dir and is_archive(src.path):
            extract_archive(src.path, root, dest, src.rel)
        else:
            local.append(src)
    if local:
        copy_sources(tree, local, root, dest, opts, into_dir)


class SourceResolver:
    """Where COPY/ADD read from: the context, another stage, an image or a named context."""

    def __init__(self, run, st: StageState, node, env: dict, escape: str) -> None:
        self.run = run
        self.node = node
        self.origin = expand(flag(node, "from") or "", env, escape)
        self.origin_key = ""
        self.stage_state = None
        self.image_lowers = None
        self.dir_tree = None
        if not self.origin:
            self.dir_tree = run.context
        elif self.origin in run.spec.additional_contexts and \
                not run.spec.additional_contexts[self.origin].startswith("docker-image://"):
            self.dir_tree = run.named_context(self.origin)
        else:
            stage = run.df.stage_by_ref(self.origin)
            if stage is not None and stage.index != run.current_index(st):
                self.stage_state = run.stage_result(stage.index)
                self.origin_key = self.stage_state.key
            else:
                image_id, lowers = run.image_source(self.origin)
                self.origin_key, self.image_lowers = image_id, lowers

    def digest(self, patterns: list[str]) -> str:
        if self.dir_tree is None or not patterns:
            return json.dumps(patterns)             # the origin key stands for the content
        memo_key = (id(self.dir_tree), tuple(patterns))
        memo = self.run.digest_memo
        if memo_key not in memo:
            sources = self.dir_tree.resolve(patterns, self.node.cmd.upper())
            memo[memo_key] = tree_digest(self.dir_tree, sources, self.run.statcache)
        return memo[memo_key]

    @contextlib.contextmanager
    def tree(self, scratch):
        if self.dir_tree is not None:
            yield self.dir_tree
            return
        lowers = self.image_lowers if self.image_lowers is not None else \
            self.run.fit_lowers(self.stage_state.lowerdirs())
        for sub in ("from-upper", "from-work"):
            (scratch / sub).mkdir()
        with overlay_mounted(lowers, str(scratch / "from-upper"), str(scratch / "from-work"),
                             str(scratch / "from")) as root:
            yield SourceTree(root, None, f"stage {self.origin!r}")
