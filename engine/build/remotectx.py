"""Git and URL build contexts: fetched into a directory the build then reads like any other.

    kind_of(text) -> "git" | "http" | ""            ("" = a local directory)
    fetch_context(run, text) -> Path                 the context directory

Git contexts (Docker's forms): ``git://``, ``git@host:repo``, ``ssh://``, ``github.com/...``,
``http(s)://…/repo.git``, plus ``file:///path/repo`` and ``/path/repo#ref`` (a local
repository; the literal path must not exist as a directory). An optional fragment
``#ref[:subdir]`` picks a branch, tag or commit and a directory inside the repository.
The ref is fetched with ``git fetch --depth=1`` into a fresh repository, checked out
without its ``.git`` directory, and kept under ``<build cache>/remote/git-<hash>`` per
(url, commit, subdir): a rebuild of the same commit reuses the checkout (and the stat
cache of the context), only the ``git fetch`` runs again to see whether the ref moved.

HTTP(S) contexts that are not git: the URL is downloaded; a tar archive (plain, gzip,
bzip2, xz, zstd) is the context, any other file is the Dockerfile of an empty context.
Kept under ``remote/http-<content hash>``.

Unreachable URLs are a BuildError naming the URL and git's or the HTTP client's reason.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from ..errors import BuildError

GIT_PREFIXES = ("git://", "git@", "ssh://", "github.com/", "file://")
GIT_TIMEOUT = 120
_HTTP_GIT = re.compile(r"^https?://[^#]*\.git(?:#.*)?$")


def kind_of(text: str) -> str:
    if os.path.isdir(text):                 # Docker: an existing local directory wins
        return ""
    if text.startswith(GIT_PREFIXES) or _HTTP_GIT.match(text):
        return "git"
    if text.startswith(("http://", "https://")):
        return "http"
    if "#" in text and _is_git_repo(text.partition("#")[0]):
        return "git"
    return ""


def _is_git_repo(path: str) -> bool:
    return bool(path) and (os.path.isdir(os.path.join(path, ".git")) or
                           (os.path.isfile(os.path.join(path, "HEAD")) and
                            os.path.isdir(os.path.join(path, "objects"))))


def fetch_context(run, text: str) -> Path:
    kind = kind_of(text)
    vertex = run.progress.start(f"[internal] load {'git source' if kind == 'git' else 'remote build context'} {text}")
    try:
        path = _fetch_git(run, text, vertex) if kind == "git" else _fetch_http(run, text, vertex)
    except BuildError as e:
        vertex.error(str(e))
        raise
    vertex.done()
    return path


def split_git_url(text: str) -> tuple[str, str, str]:
    """(url for git, ref, subdir) of a git context."""
    url, _, fragment = text.partition("#")
    ref, _, subdir = fragment.partition(":")
    if url.startswith("github.com/"):
        url = "https://" + url
    return url, ref, subdir.strip("/")


def _git(args: list[str], cwd=None, what: str = "") -> str:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true",
               GIT_SSH_COMMAND="ssh -o BatchMode=yes -o ConnectTimeout=15")
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=GIT_TIMEOUT)
    except FileNotFoundError:
        raise BuildError("git contexts need the git command (install git)") from None
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what}: git {args[0]} timed out after {GIT_TIMEOUT}s") from None
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
        reason = (fatal or lines or [f"git {args[0]} failed"])[0]
        raise BuildError(f"{what}: {reason}")
    return proc.stdout.strip()


def _fetch_git(run, text: str, vertex) -> Path:
    url, ref, subdir = split_git_url(text)
    base = Path(run.cache.root) / "remote"
    base.mkdir(parents=True, exist_ok=True)
    work = run.cache.scratch()
    try:
        what = f"failed to fetch git context {text}"
        remote = url.startswith(("http://", "https://", "git://", "ssh://", "git@"))
        if not remote and not url.startswith("file://"):
            url = os.path.abspath(url)              # git runs in the scratch repository
        _git(["init", "-q", str(work / "repo")], what=what)
        try:
            fetch = ["fetch", "-q", "--depth=1"]
            if not remote:      # a local repository owned by another user (sudo ... build)
                fetch.append("--upload-pack=git -c safe.directory='*' upload-pack")
            _git(fetch + [url, ref or "HEAD"], cwd=work / "repo", what=what)
        except BuildError as e:
            hint = " (the network may be unreachable: pycompose fetches remote contexts " \
                   "with git)" if remote else ""
            raise BuildError(f"{e}{hint}") from None
        commit = _git(["rev-parse", "FETCH_HEAD"], cwd=work / "repo", what=what)
        vertex.log(f"{url} {ref or 'HEAD'} -> {commit}")
        key = hashlib.sha256(f"{url}\0{commit}".encode()).hexdigest()[:24]
        target = base / f"git-{key}"
        if not target.is_dir():
            _git(["checkout", "-q", "FETCH_HEAD"], cwd=work / "repo", what=what)
            shutil.rmtree(work / "repo" / ".git")
            try:
                os.rename(work / "repo", target)
            except OSError:
                if not target.is_dir():
                    raise
    finally:
        run.cache.discard(work)
    context = target / subdir if subdir else target
    if not context.is_dir():
        raise BuildError(f"git context {text}: directory {subdir!r} not found at {ref or 'HEAD'}")
    return context


def _fetch_http(run, url: str, vertex) -> Path:
    base = Path(run.cache.root) / "remote"
    base.mkdir(parents=True, exist_ok=True)
    work = run.cache.scratch()
    try:
        body = work / "body"
        from .remote import download
        digest = download(url, body, f"unable to download remote context {url}", 30.0)
        target = base / f"http-{digest[:24]}"
        if not target.is_dir():
            tree = work / "tree"
            tree.mkdir()
            _unpack_or_dockerfile(body, tree, url)
            try:
                os.rename(tree, target)
            except OSError:
                if not target.is_dir():
                    raise
        vertex.log(f"{url}: sha256:{digest}")
        return target
    finally:
        run.cache.discard(work)


def _unpack_or_dockerfile(body: Path, tree: Path, url: str) -> None:
    from .fsops import extract_archive, is_archive
    if is_archive(str(body)):
        extract_archive(str(body), str(tree), "/", url)
    else:
        shutil.copyfile(body, tree / "Dockerfile")
