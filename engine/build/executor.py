"""One build: stages in dependency order (independent ones in parallel threads), then the
final image is written and tagged.

    BuildRun(engine, spec, on_event).execute() -> ImageInfo

Stage selection: the target (``--target`` or the last stage) and, transitively, the stages
it needs (FROM <stage>, COPY --from, RUN --mount from=); every other stage is skipped.
Each needed stage runs in its own thread and waits for the stages it reads from.
Nothing is tagged until the final image exists: a failed build leaves no tag behind.
"""
from __future__ import annotations

import copy
import json
import os
import platform as _platform
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import BuildError, EngineError, NotFound
from ..types import BuildSpec, ImageInfo
from .cache import BuildCache, now_rfc3339
from .context import SourceTree, StatCache, context_tree
from .dockerignore import Matcher
from .instructions import Dockerfile, flag_values, onbuild_nodes, parse_dockerfile
from .progress import Progress
from .shellwords import expand
from .state import DEFAULT_PATH, LazyLowers, StageState, apply_metadata, chain_key
from .steps import copy_step, run_step, workdir_step

FS_STEPS = ("run", "copy", "add", "workdir")
LOWERDIR_BUDGET = 3000          # bytes of "lowerdir=" list; the rest of the page is for
                                # upperdir/workdir and the runtime's options
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386", "ppc64le": "ppc64le",
         "s390x": "s390x", "riscv64": "riscv64"}


def host_arch() -> str:
    m = _platform.machine()
    return _ARCH.get(m, m)


class BuildRun:
    def __init__(self, engine, spec: BuildSpec, on_event=None) -> None:
        self.engine = engine
        self.spec = spec
        self.progress = Progress(on_event)
        self.cache = BuildCache(engine)
        self.created = now_rfc3339()
        self.build_id = uuid.uuid4().hex[:12]
        self.lock = threading.Lock()
        self.results: dict = {}
        self.events: dict = {}
        self.failed: BaseException | None = None
        self.rootfs_keys: list[str] = []
        self.used_args: set = set()
        self.thread_stage = threading.local()
        self.named_trees: dict = {}
        self.digest_memo: dict = {}
        self.cache_sources = None           # CacheSources for spec.cache_from

    # --- inputs ------------------------------------------------------------------------------
    def _load(self) -> None:
        spec = self.spec
        self.ssh_agents = {}
        if spec.ssh:                                    # checked first, like BuildKit's client
            from .sshagent import resolve_agents
            self.ssh_agents = resolve_agents(spec.ssh)
        ctx_text = spec.context or "."
        self.context_dir = self._context_path(ctx_text)
        v = self.progress.start("[internal] load build definition from "
                                + (os.path.basename(spec.dockerfile) or "Dockerfile"))
        try:
            text, df_path = self._dockerfile_text()
            self.df: Dockerfile = parse_dockerfile(
                text, os.path.basename(str(df_path)) if df_path else "Dockerfile")
        except BuildError as e:
            v.error(str(e))
            raise
        v.done()
        v = self.progress.start("[internal] load .dockerignore")
        self.context = context_tree(self.context_dir, df_path)
        self.statcache = StatCache(self.cache.context_stat_file(self.context_dir))
        v.done()
        self.build_args = {k: (os.environ.get(k, "") if val is None else str(val))
                           for k, val in spec.build_args.items()
                           if val is not None or k in os.environ}
        self.global_args = self._global_args()

    def _context_path(self, text: str) -> Path:
        """A local directory, or a git / URL context fetched into the build cache."""
        if "://" in text or "#" in text or text.startswith(("git@", "github.com/")):
            from .remotectx import fetch_context, kind_of
            if kind_of(text):
                return fetch_context(self, text)
        if "://" in text:
            raise BuildError(f"unsupported build context {text}: use a directory, a git "
                             "repository URL or an http(s) URL")
        return Path(text).absolute()

    def _dockerfile_text(self):
        spec = self.spec
        if spec.dockerfile_inline is not None:
            return spec.dockerfile_inline, None
        name = spec.dockerfile or "Dockerfile"
        path = Path(name) if os.path.isabs(name) else self.context_dir / name
        try:
            return path.read_text(encoding="utf-8", errors="replace"), path
        except FileNotFoundError:
            raise BuildError(f"failed to read dockerfile: open {path}: no such file or directory") from None
        except IsADirectoryError:
            raise BuildError(f"failed to read dockerfile: {path} is a directory") from None

    def _global_args(self) -> dict:
        plat = self.spec.platform or f"linux/{host_arch()}"
        os_, _, arch = plat.partition("/")
        arch, _, variant = arch.partition("/")
        builtins = {"TARGETPLATFORM": plat, "TARGETOS": os_, "TARGETARCH": arch,
                    "TARGETVARIANT": variant, "BUILDPLATFORM": f"linux/{host_arch()}",
                    "BUILDOS": "linux", "BUILDARCH": host_arch(), "BUILDVARIANT": ""}
        values = dict(builtins)
        for name, raw in self.df.global_args:
            if name in self.build_args:
                values[name] = self.build_args[name]
                self.used_args.add(name)
            elif raw is not None:
                values[name] = expand(raw, values, self.df.escape)
            else:
                values.setdefault(name, "")
        return values

    def named_context(self, name: str) -> SourceTree:
        with self.lock:
            if name not in self.named_trees:
                text = self.spec.additional_contexts[name]
                path = self._context_path(text) if "://" in text or "#" in text else Path(text)
                if not path.is_absolute():
                    path = self.context_dir / path
                if not path.is_dir():
                    raise BuildError(f"additional context {name!r}: {path} is not a directory")
                self.named_trees[name] = SourceTree(path, Matcher([]), f"context {name!r}")
            return self.named_trees[name]

    # --- stage graph -------------------------------------------------------------------------
    def _base_name(self, stage) -> str:
        return expand(stage.base, self.global_args, self.df.escape)

    def _deps(self, stage) -> set[int]:
        deps = set()
        refs = [self._base_name(stage)]
        for node in stage.instructions:
            if node.cmd in ("copy", "add"):
                refs += [v for v in flag_values(node, "from") if v]
            if node.cmd == "run":
                for m in flag_values(node, "mount"):
                    hit = re.search(r"(?:^|,)from=([^,]+)", m or "")
                    if hit:
                        refs.append(hit.group(1))
        for ref in refs:
            ref = expand(ref, self.global_args, self.df.escape)
            other = self.df.stage_by_ref(ref)
            if other is not None and other.index != stage.index and \
                    (ref.lower() == other.name or other.index < stage.index):
                deps.add(other.index)
        return deps

    def _needed(self, target_index: int) -> list[int]:
        needed, visiting = set(), []

        def visit(i: int) -> None:
            if i in visiting:
                trail = " -> ".join(self.df.stages[j].display for j in visiting + [i])
                raise BuildError(f"circular dependency between build stages: {trail}")
            if i in needed:
                return
            visiting.append(i)
            for d in self._deps(self.df.stages[i]):
                visit(d)
            visiting.pop()
            needed.add(i)

        visit(target_index)
        return sorted(needed)

    def _target_index(self) -> int:
        if not self.spec.target:
            return len(self.df.stages) - 1
        stage = self.df.stage_by_ref(self.spec.target)
        if stage is None or not stage.name:
            raise BuildError(f"target stage {self.spec.target!r} could not be found")
        return stage.index

    def fit_lowers(self, lowers) -> list[str]:
        """``lowers`` (top-most first), with the bottom ones flattened into one directory
        when the list would not fit in one overlay mount's options."""
        lowers = list(lowers) or [self.cache.empty_dir()]
        if len(":".join(lowers)) <= LOWERDIR_BUDGET:
            return lowers
        flat_len = len(str(self.cache.root / "flat" / ("f" * 24))) + 1
        keep, used = [], flat_len
        for d in lowers:
            if used + len(d) + 1 > LOWERDIR_BUDGET:
                break
            keep.append(d)
            used += len(d) + 1
        rest = lowers[len(keep):]
        return keep + [self.cache.flatten(rest, self.fit_lowers)]

    # --- results shared between stage threads ----------------------------------------------
    def stage_result(self, index: int) -> StageState:
        with self.lock:
            ev = self.events.get(index)
            late = ev is None
            if late:                        # named through a stage-level ARG: not foreseen
                ev = self.events[index] = threading.Event()
        if late:
            outer = getattr(self.thread_stage, "index", -1)
            try:
                self.thread_stage.index = index
                self.results[index] = self._build_stage(self.df.stages[index])
            finally:
                self.thread_stage.index = outer
                ev.set()
        ev.wait()
        if index not in self.results:
            raise BuildError(f"stage {self.df.stages[index].display} failed")
        return self.results[index]

    def current_index(self, st: StageState) -> int:
        return getattr(self.thread_stage, "index", -1)

    def image_source(self, ref: str):
        """(image id, lowerdirs) of an image used by COPY --from / RUN --mount from=."""
        ref = self._image_ref(ref)
        info = self._ensure_image(ref, None)
        key = f"build-{self.build_id}-src-{uuid.uuid4().hex[:8]}"
        rootfs = self.engine.images.prepare_rootfs(info.id, key)
        with self.lock:
            self.rootfs_keys.append(key)
        return info.id, self._lowers_of(rootfs)

    def _image_ref(self, ref: str) -> str:
        extra = self.spec.additional_contexts.get(ref)
        if extra and extra.startswith("docker-image://"):
            return extra[len("docker-image://"):]
        return ref

    @staticmethod
    def _lowers_of(rootfs) -> tuple:
        if rootfs.type == "overlay":
            return tuple(rootfs.lowerdirs)
        return (rootfs.source,)

    def _ensure_image(self, ref: str, vertex, platform: str = "") -> ImageInfo:
        images = self.engine.images
        platform = platform or self.spec.platform or ""
        if not self.spec.pull:
            try:
                info = images.inspect(ref)
                if not platform or _platform_matches(info, platform):
                    return info
            except (NotFound, EngineError):
                pass
        if vertex is not None:
            vertex.log(f"pulling {ref}" + (f" for {platform}" if platform else ""))
        try:
            return images.pull(ref, platform, None)
        except EngineError as e:
            raise BuildError(f"failed to resolve source metadata for {ref}: {e}") from None

    # --- execution ---------------------------------------------------------------------------
    def execute(self) -> ImageInfo:
        self._check_tags()
        self._load()
        if self.spec.cache_from:
            from .cachefrom import CacheSources
            self.cache_sources = CacheSources.open(self)
        target = self._target_index()
        needed = self._needed(target)
        for i in needed:
            self.events[i] = threading.Event()
        try:
            with ThreadPoolExecutor(max_workers=len(needed), thread_name_prefix="build-stage") as pool:
                futures = [pool.submit(self._stage_thread, i) for i in needed]
                try:
                    for f in futures:
                        f.result()
                except BaseException:           # Ctrl-C: stages stop after their current step
                    with self.lock:
                        self.failed = self.failed or BuildError("build cancelled")
                    raise
            if self.failed is not None:
                raise self.failed
            unused = sorted(set(self.build_args) - self.used_args - set(_proxy_names()))
            if unused:
                self.progress.warn(f"One or more build-args {unused} were not consumed")
            return self._export(self.results[target])
        finally:
            self.statcache.save() if hasattr(self, "statcache") else None
            for key in self.rootfs_keys:
                try:
                    self.engine.images.release_rootfs(key)
                except EngineError:
                    pass

    def _stage_thread(self, index: int) -> None:
        self.thread_stage.index = index
        try:
            if self.failed is None:
                self.results[index] = self._build_stage(self.df.stages[index])
        except BaseException as e:          # noqa: BLE001 - reported by execute()
            with self.lock:
                if self.failed is None:
                    self.failed = e
        finally:
            self.events[index].set()

    def _build_stage(self, stage) -> StageState:
        nodes = list(stage.instructions)
        total = 1 + sum(1 for n in nodes if n.cmd in FS_STEPS)
        label = (stage.display + " ") if len(self.df.stages) > 1 else ""
        st, triggers = self._from(stage, f"[{label}1/{total}]")
        step = 1
        for node in triggers + nodes:
            if self.failed is not None:
                raise BuildError("build cancelled")
            if node.cmd in FS_STEPS:
                step += 1 if node in nodes else 0
                title = f"[{label}{step}/{total}] {_title(node)}"
                self._fs_instruction(st, node, title)
            else:
                text = apply_metadata(node, st, self.df.escape, self.build_args,
                                      self.global_args, self.used_args)
                st.advance(text)
                st.add_history(text, self.created, True)
        return st

    def _fs_instruction(self, st: StageState, node, title: str) -> None:
        vertex = self.progress.start(title)
        try:
            if node.cmd == "run":
                run_step(self, st, node, vertex)
            elif node.cmd == "workdir":
                text = apply_metadata(node, st, self.df.escape, self.build_args,
                                      self.global_args, self.used_args)
                workdir_step(self, st, vertex, text)
            else:
                copy_step(self, st, node, vertex, self.df.escape)
        except BuildError as e:
            vertex.error(str(e))
            raise
        except OSError as e:
            vertex.error(str(e))
            raise BuildError(f"Dockerfile:{node.line}: {node.cmd.upper()} failed: "
                             f"{e.strerror or e}: {e.filename or ''}".rstrip(": ")) from None

    def _from(self, stage, title_prefix: str):
        base = self._base_name(stage)
        vertex = self.progress.start(f"{title_prefix} FROM {base}")
        other = self.df.stage_by_ref(base)
        if other is not None and other.name == base.lower() and other.index != stage.index:
            st = self.stage_result(other.index).fork(stage.display)
            vertex.cached()
            return st, []
        if base.lower() == "scratch":
            st = self._scratch_state(stage)
            vertex.done()
            return st, []
        ref = self._image_ref(base)
        platform = expand(stage.platform, self.global_args, self.df.escape) if stage.platform else ""
        info = self._ensure_image(ref, vertex, platform)
        st = self._image_state(stage, info)
        vertex.done()
        triggers = onbuild_nodes(st.config.pop("OnBuild", None) or [], self.df.filename)
        return st, triggers

    def _scratch_state(self, stage) -> StageState:
        image = {"architecture": host_arch(), "os": "linux",
                 "config": {"Env": [f"PATH={DEFAULT_PATH}"]},
                 "rootfs": {"type": "layers", "diff_ids": []}, "history": []}
        return StageState(name=stage.display, image=image,
                          key=chain_key("scratch", self.spec.platform or ""))

    def _image_state(self, stage, info: ImageInfo) -> StageState:
        images = self.engine.images
        raw = copy.deepcopy(images.get(info.id).config)
        for k in ("container", "container_config", "docker_version", "id", "parent"):
            raw.pop(k, None)
        raw["config"] = raw.get("config") or {}
        raw.setdefault("history", [])
        env = raw["config"].get("Env") or []
        if not any(e.startswith("PATH=") for e in env):     # BuildKit always sets PATH
            raw["config"]["Env"] = list(env) + [f"PATH={DEFAULT_PATH}"]
        key = f"build-{self.build_id}-{stage.index}"

        def load_lowers():
            with self.lock:
                self.rootfs_keys.append(key)
            return self._lowers_of(images.prepare_rootfs(info.id, key))

        return StageState(name=stage.display, base_image_id=info.id,
                          base_lowers=LazyLowers(load_lowers),
                          base_digests=list(images.layer_digests(info.id)),
                          image=raw, key=info.id)

    # --- export --------------------------------------------------------------------------
    def _check_tags(self) -> None:
        try:
            from .. import reference
        except ImportError:
            return
        for tag in self.spec.tags:
            try:
                reference.parse(tag)
            except EngineError as e:
                raise BuildError(f"invalid tag {tag!r}: {e}") from None

    def _export(self, st: StageState) -> ImageInfo:
        vertex = self.progress.start("exporting to image")
        image = st.image
        if self.spec.labels:
            labels = image["config"].get("Labels") or {}
            labels.update(self.spec.labels)
            image["config"]["Labels"] = labels
        image["created"] = self.created
        image.setdefault("architecture", host_arch())
        image.setdefault("os", "linux")
        digests = list(st.base_digests) + [layer.digest for layer in st.layers]
        key = chain_key(st.key, json.dumps(["export", self.spec.labels], sort_keys=True))
        images = self.engine.images
        cached = None if self.spec.no_cache else self.cache.get_image(key)
        if not (cached and images.exists(cached)) and self.cache_sources is not None \
                and not self.spec.no_cache:
            cached = self.cache_sources.image_for_export(key)
        info = None
        if cached and images.exists(cached):
            info = images.inspect(cached)
            missing = [t for t in self.spec.tags if _normalized(t) not in info.repo_tags]
            for tag in missing:
                images.tag(cached, tag)
            if missing:
                info = images.inspect(cached)
            vertex.log(f"writing image {cached} done (cached)")
        else:
            from .cachefrom import META_KEY, cache_metadata
            image[META_KEY] = cache_metadata(key, st.cache_steps)
            info = images.create_image(image, digests, tags=list(self.spec.tags))
            self.cache.put_image(key, info.id)
            vertex.log(f"writing image {info.id} done")
        for tag in self.spec.tags:
            vertex.log(f"naming to {_normalized(tag)} done")
        vertex.done()
        return info


def _title(node) -> str:
    text = node.original
    return text if len(text) < 200 else text[:197] + "..."


def _platform_matches(info: ImageInfo, platform: str) -> bool:
    """Whether a stored image is of the ``os/arch[/variant]`` asked for by FROM --platform."""
    os_, _, rest = platform.partition("/")
    arch = rest.partition("/")[0]
    return (not os_ or info.os == os_) and (not arch or info.architecture == arch)


def _normalized(tag: str) -> str:
    try:
        from .. import reference
        return reference.parse(tag).tagged_name
    except Exception:               # noqa: BLE001 - an unparsable tag is simply re-tagged
        return tag


def _proxy_names():
    from .state import PROXY_ARGS
    return PROXY_ARGS
