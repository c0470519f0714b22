"""ADD <url>: download a remote file (http/https) into the build cache.

    fetch(run, url, node, checksum) -> Download(name, path, digest)

Git URLs and other schemes are refused with a clear message; an unreachable URL is a
BuildError naming the Dockerfile line and the reason (this machine may be offline).
"""
from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from ..errors import BuildError

TIMEOUT = 15.0


@dataclass(frozen=True)
class Download:
    name: str
    path: Path
    digest: str


def fetch(run, url: str, node, checksum: str | None) -> Download:
    where = f"Dockerfile:{node.line}"
    parsed = urlparse(url)
    if url.startswith("git@") or parsed.path.endswith(".git") or parsed.scheme.startswith("git"):
        raise BuildError(f"{where}: ADD {url}: git sources are not supported by pycompose")
    if parsed.scheme not in ("http", "https"):
        raise BuildError(f"{where}: ADD {url}: unsupported URL scheme {parsed.scheme!r}")
    target_dir = Path(run.cache.root) / "downloads"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / hashlib.sha256(url.encode()).hexdigest()[:24]
    digest = "sha256:" + download(url, target, f"{where}: ADD failed: cannot download {url}",
                                  TIMEOUT)
    if checksum and checksum != digest:
        raise BuildError(f"{where}: ADD {url}: checksum mismatch: expected {checksum}, got {digest}")
    name = posixpath.basename(parsed.path.rstrip("/")) or "index.html"
    return Download(name, target, digest)


def download(url: str, target: Path, failure: str, timeout: float) -> str:
    """GET ``url`` into ``target`` -> the sha256 hex digest of the body. Any failure is a
    BuildError starting with ``failure`` (an HTTP status, or the transport error and a hint
    that this machine may be offline)."""
    import httpx
    h = hashlib.sha256()
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=timeout) as resp:
            if resp.status_code >= 400:
                raise BuildError(f"{failure}: HTTP {resp.status_code}")
            with open(target, "wb") as f:
                for chunk in resp.iter_bytes():
                    h.update(chunk)
                    f.write(chunk)
    except httpx.HTTPError as e:
        raise BuildError(f"{failure}: {e or type(e).__name__} (is the network reachable?)") from None
    return h.hexdigest()
