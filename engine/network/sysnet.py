"""Thin wrappers over the host's networking tools: ``ip`` (iproute2) and ``iptables``.

Every failure becomes a NetworkError naming the command. Batches (``ip -batch``,
``iptables-restore --noflush``) keep the number of processes per operation small.
"""
from __future__ import annotations

import os

from ..errors import NetworkError

# subprocess is imported by run() only: `network create` / `rm` of an unused network and most
# container starts run no iptables/ip process, and its import is ~7 ms of a CLI call.


def run(argv: list[str], *, input: str | None = None, check: bool = True) -> "subprocess.CompletedProcess":
    import subprocess
    try:
        proc = subprocess.run(argv, input=input, capture_output=True, text=True)
    except OSError as e:
        raise NetworkError(f"cannot run {argv[0]}: {e.strerror} (is it installed?)") from e
    if check and proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip().splitlines()
        raise NetworkError(f"{' '.join(argv[:4])} failed: {msg[-1] if msg else proc.returncode}")
    return proc


def ip_batch(commands: list[str], *, force: bool = False) -> None:
    """Run several ``ip`` commands in one process (``-force`` goes on past errors)."""
    if not commands:
        return
    argv = ["ip"] + (["-force"] if force else []) + ["-batch", "-"]
    run(argv, input="\n".join(commands) + "\n", check=not force)


def link_exists(name: str) -> bool:
    return os.path.exists(f"/sys/class/net/{name}")


def delete_link(name: str) -> None:
    """Delete a link if it exists (in-process netlink; best effort like ``ip link del``)."""
    if name and link_exists(name):
        from .rtnl import delete_link as nl_delete
        try:
            nl_delete(name)
        except OSError:
            run(["ip", "link", "del", name], check=False)


def write_proc(path: str, value: str) -> None:
    try:
        with open(path) as f:
            if f.read().strip() == value:
                return
        with open(path, "w") as f:
            f.write(value)
    except OSError as e:
        raise NetworkError(f"cannot set {path} to {value}: {e.strerror}") from e


# ----------------------------------------------------------------------------- iptables

def iptables(args: list[str], table: str = "filter", check: bool = True, v6: bool = False):
    return run(["ip6tables" if v6 else "iptables", "-w", "10", "-t", table] + args, check=check)


def ensure_chain(table: str, chain: str, v6: bool = False) -> None:
    if iptables(["-S", chain], table, check=False, v6=v6).returncode != 0:
        proc = iptables(["-N", chain], table, check=False, v6=v6)
        if proc.returncode != 0 and "exists" not in proc.stderr:
            raise NetworkError(f"iptables -t {table} -N {chain} failed: {proc.stderr.strip()}")


def ensure_jump(table: str, parent: str, rule: list[str], position: int | None = 1,
                v6: bool = False) -> None:
    """Insert ``rule`` (ending in -j CHAIN) into ``parent`` unless it is already there."""
    if iptables(["-C", parent] + rule, table, check=False, v6=v6).returncode == 0:
        return
    if position is None:
        iptables(["-A", parent] + rule, table, v6=v6)
    else:
        iptables(["-I", parent, str(position)] + rule, table, v6=v6)


def restore(rules: dict[str, list[str]], check: bool = True, v6: bool = False) -> bool:
    """Append rules in one atomic ``iptables-restore --noflush`` call.

    rules: table -> ["-A CHAIN ...", "-I CHAIN ..."] (chains must already exist).
    """
    text = []
    for table, lines in rules.items():
        if lines:
            text += [f"*{table}"] + lines + ["COMMIT"]
    if not text:
        return True
    proc = run(["ip6tables-restore" if v6 else "iptables-restore", "-w", "10", "--noflush"],
               input="\n".join(text) + "\n", check=check)
    return proc.returncode == 0


def save_rules() -> dict[str, list[str]]:
    """All rules of every table from one ``iptables-save``: table -> ["-A CHAIN ...", ...]."""
    out = run(["iptables-save"])
    tables: dict[str, list[str]] = {}
    current = None
    for line in out.stdout.splitlines():
        if line.startswith("*"):
            current = tables.setdefault(line[1:].strip(), [])
        elif line.startswith("-A ") and current is not None:
            current.append(line)
    return tables


def tagged_deletions(saved: dict[str, list[str]], table: str, chains: list[str], tag: str) -> list[str]:
    """"-D ..." lines deleting every rule of ``chains`` in ``saved`` whose comment is ``tag``."""
    import shlex
    out = []
    for line in saved.get(table, []):
        if tag in line and line.split(" ", 2)[1] in chains and tag in shlex.split(line):
            out.append("-D " + line[3:])
    return out


def delete_tagged(table: str, chains: list[str], tag: str, v6: bool = False) -> int:
    """Delete every rule of ``chains`` whose comment contains ``tag``. Returns the count."""
    import shlex
    deletions = []
    for chain in chains:
        proc = iptables(["-S", chain], table, check=False, v6=v6)
        if proc.returncode != 0:
            continue
        for line in proc.stdout.splitlines():
            if line.startswith("-A ") and tag in shlex.split(line):
                deletions.append("-D " + line[3:])
    if deletions:
        proc = run(["ip6tables-restore" if v6 else "iptables-restore", "-w", "10", "--noflush"],
                   input=f"*{table}\n" + "\n".join(deletions) + "\nCOMMIT\n", check=False)
        if proc.returncode != 0:
            # a rule that vanished meanwhile fails the whole batch: go one by one
            for line in deletions:
                iptables(shlex.split(line), table, check=False, v6=v6)
    return len(deletions)


def ip_batch_in(netns_path: str, commands: list[str]) -> None:
    """Run ``ip`` commands inside the network namespace mounted at ``netns_path``."""
    if commands:
        run(["nsenter", f"--net={netns_path}", "ip", "-batch", "-"], input="\n".join(commands) + "\n")
