"""Resolve a path inside a root directory as the kernel would inside a container whose / is
that root: symlinks (absolute or relative) and ``..`` never lead out of the root.

Used wherever the engine touches a container's or a volume's files from the host (runtime
mount targets and the files it creates in the rootfs, volume copy-up, volume subpaths).
Standard library only: the runtime calls it in the container's init process. The builder's
resolve_in_root (engine/build/fsops.py) cleans the path lexically first, as BuildKit does for
Dockerfile paths, then calls this.
"""
from __future__ import annotations

import errno
import os

MAX_SYMLINKS = 40


def secure_join(root: str, path: str, follow_last: bool = True) -> str:
    """``root``/``path`` with every symlink resolved inside ``root`` (the last component's
    too, unless ``follow_last`` is false: lstat semantics).

    Raises OSError(ELOOP) after MAX_SYMLINKS links, like the kernel.
    """
    parts = [p for p in path.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, part)
        if os.path.islink(candidate) and (parts or follow_last):
            hops += 1
            if hops > MAX_SYMLINKS:
                raise OSError(errno.ELOOP, f"too many levels of symbolic links in {path}")
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        resolved.append(part)
    return os.path.join(root, *resolved)
