"""The build context: a directory filtered by .dockerignore, source lookup and content digests.

    ctx = BuildContext(directory, dockerfile_path, stat_cache_dir)
    ctx.resolve(["src/*.py", "README"], "COPY")   -> [Source(rel, path, is_dir)]
    ctx.digest(sources)                             -> "sha256:..." over names, modes, content

Sources are looked up relative to the context root; a source that leaves the context
(``../x``) or is excluded by .dockerignore is an error, as is a pattern matching nothing.
Wildcards use Go's filepath.Match (``*``, ``?``, ``[...]``) per path element.
Content digests read each file once and remember (size, mtime, ctime, inode) -> sha256 in a
small per-context stat cache, so a cached rebuild does not re-read unchanged files.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import posixpath
import re
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError
from ..layout import atomic_write
from .dockerignore import Matcher, load_matcher

_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Source:
    rel: str            # path relative to the source root ("." for the root itself)
    path: str           # absolute path on the host
    is_dir: bool


class SourceTree:
    """A directory that COPY can read from (the context, or a mounted stage / image)."""

    def __init__(self, root: Path, matcher: Matcher | None = None, what: str = "build context") -> None:
        self.root = Path(root)
        self.matcher = matcher or Matcher([])
        self.what = what

    def excluded(self, rel: str) -> bool:
        return rel not in (".", "") and self.matcher.matches(rel)

    def _clean(self, pattern: str, instr: str) -> str:
        cleaned = posixpath.normpath("/" + pattern).lstrip("/") or "."
        raw = posixpath.normpath(pattern)
        if raw == ".." or raw.startswith("../"):
            raise BuildError(f"{instr} failed: forbidden path outside the {self.what}: {pattern}")
        return cleaned

    def resolve(self, patterns: list[str], instr: str = "COPY") -> list[Source]:
        out: list[Source] = []
        for pattern in patterns:
            rel = self._clean(pattern, instr)
            matches = self._glob(rel) if _GLOB_CHARS.search(rel) else self._exact(rel)
            if not matches:
                raise BuildError(f"{instr} failed: file not found in {self.what}: "
                                 f"{pattern!r} (it does not exist"
                                 f"{' or is excluded by .dockerignore' if self.matcher.rules else ''})")
            out.extend(matches)
        return out

    def _exact(self, rel: str) -> list[Source]:
        path = self.root / rel if rel != "." else self.root
        if self.excluded(rel):
            return []
        real = self._inside(path)
        if real is None:
            return []
        return [Source(rel, str(real), real.is_dir())]

    def _inside(self, path: Path) -> Path | None:
        """Resolve symlinks of the source itself, refusing anything that leaves the root."""
        if not os.path.lexists(path):
            return None
        real = Path(os.path.realpath(path))
        root = Path(os.path.realpath(self.root))
        if real != root and root not in real.parents:
            return None
        return real if real.exists() else None

    def _glob(self, rel: str) -> list[Source]:
        parts = rel.split("/")
        found = [""]
        for i, part in enumerate(parts):
            nxt = []
            for base in found:
                base_path = self.root / base if base else self.root
                if not base_path.is_dir():
                    continue
                if not _GLOB_CHARS.search(part):
                    cand = f"{base}/{part}" if base else part
                    if os.path.lexists(self.root / cand):
                        nxt.append(cand)
                    continue
                for name in sorted(os.listdir(base_path)):
                    if _go_match(part, name):
                        nxt.append(f"{base}/{name}" if base else name)
            found = nxt
        out = []
        for rel_match in found:
            if self.excluded(rel_match):
                continue
            real = self._inside(self.root / rel_match)
            if real is not None:
                out.append(Source(rel_match, str(real), real.is_dir()))
        return out

    def walk(self, source: Source):
        """(relative path below the source, absolute path, lstat) of every included entry."""
        if not source.is_dir:
            yield "", source.path, os.lstat(source.path)
            return
        base_rel = "" if source.rel == "." else source.rel
        stack = [("", source.path)]
        while stack:
            sub, abs_dir = stack.pop()
            for name in sorted(os.listdir(abs_dir), reverse=True):
                rel = f"{sub}/{name}" if sub else name
                ctx_rel = f"{base_rel}/{rel}" if base_rel else rel
                path = os.path.join(abs_dir, name)
                st = os.lstat(path)
                is_dir = stat.S_ISDIR(st.st_mode)
                if self.excluded(ctx_rel):
                    if is_dir and self.matcher.may_reinclude_under(ctx_rel):
                        stack.append((rel, path))   # walk on: something below may come back
                    continue
                yield rel, path, st
                if is_dir:
                    stack.append((rel, path))


def _go_match(pattern: str, name: str) -> bool:
    """filepath.Match for one path element (no '/' in name)."""
    rx = fnmatch.translate(pattern.replace("[!", "[\\!").replace("[^", "[!"))
    return re.match(rx, name) is not None


class StatCache:
    """(size, mtime_ns, ctime_ns, ino) -> sha256 of file content, persisted per context."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.entries: dict = {}
        self.dirty = False
        if path is not None:
            try:
                self.entries = json.loads(path.read_text())
            except (OSError, ValueError):
                self.entries = {}

    def file_digest(self, path: str, st: os.stat_result) -> str:
        sig = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        with self.lock:
            hit = self.entries.get(path)
        if hit and hit[:4] == sig:
            return hit[4]
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        digest = h.hexdigest()
        with self.lock:
            self.entries[path] = sig + [digest]
            self.dirty = True
        return digest

    def save(self) -> None:
        if self.path is not None and self.dirty:
            atomic_write(self.path, json.dumps(self.entries))
            self.dirty = False


def tree_digest(tree: SourceTree, sources: list[Source], cache: StatCache,
                with_owner: bool = False) -> str:
    """A digest over every copied entry: relative name, type, mode, (owner), content/link."""
    h = hashlib.sha256()
    for src in sources:
        h.update(f"\0src {src.rel}\0".encode())
        for rel, path, st in tree.walk(src):
            mode = st.st_mode
            extra = ""
            if stat.S_ISREG(mode):
                extra = cache.file_digest(path, st)
            elif stat.S_ISLNK(mode):
                extra = os.readlink(path)
            owner = f"{st.st_uid}:{st.st_gid}" if with_owner else ""
            h.update(f"{rel!r}\0{mode:o}\0{owner}\0{extra!r}\n".encode())
    return "sha256:" + h.hexdigest()


def context_tree(directory: Path, dockerfile: Path | None) -> SourceTree:
    if not directory.is_dir():
        raise BuildError(f"unable to prepare context: path {str(directory)!r} not found")
    return SourceTree(directory, load_matcher(directory, dockerfile), "build context")
