"""Resolve ``user:`` / USER and ``group_add`` against the container's /etc/passwd and
/etc/group (read from inside the container root), the way runc's GetExecUser does."""
from __future__ import annotations


class UnknownUser(Exception):
    pass


def _read(path: str) -> list[list[str]]:
    try:
        with open(path, "r", errors="replace") as f:
            return [line.rstrip("\n").split(":") for line in f
                    if line.strip() and not line.startswith("#")]
    except OSError:
        return []


def resolve(user: str, group_add=(), root: str = "/") -> tuple[int, int, list[int], str]:
    """(uid, gid, supplementary gids, home) for ``user`` ("name", "uid", "name:group", ...)."""
    passwd = _read(root.rstrip("/") + "/etc/passwd")
    groups = _read(root.rstrip("/") + "/etc/group")
    name, _, group = (user or "").partition(":")
    uid, gid, home, username = 0, 0, "/", ""
    if name:
        entry = next((e for e in passwd if len(e) >= 7 and e[0] == name), None)
        if entry is None and name.isdigit():
            entry = next((e for e in passwd if len(e) >= 7 and e[2] == name), None)
        if entry is not None:
            username, uid, gid, home = entry[0], int(entry[2]), int(entry[3]), entry[5]
        elif name.isdigit():
            uid = int(name)
        else:
            raise UnknownUser(f"unable to find user {name}: no matching entries in passwd file")
    else:
        entry = next((e for e in passwd if len(e) >= 7 and e[2] == "0"), None)
        if entry is not None:
            username, gid, home = entry[0], int(entry[3]), entry[5]
    if group:
        gid = _group_id(group, groups)
    extra: list[int] = [gid]
    if username and not group:
        extra += [int(g[2]) for g in groups
                 if len(g) >= 4 and username in g[3].split(",") and g[2].isdigit()]
    for g in group_add:
        extra.append(_group_id(str(g), groups))
    seen: list[int] = []
    for g in extra:
        if g not in seen:
            seen.append(g)
    return uid, gid, seen, home or "/"


def _group_id(group: str, groups: list[list[str]]) -> int:
    entry = next((g for g in groups if len(g) >= 3 and g[0] == group), None)
    if entry is not None and entry[2].isdigit():
        return int(entry[2])
    if group.isdigit():
        return int(group)
    raise UnknownUser(f"unable to find group {group}: no matching entries in group file")
