"""`container stats`: docker's resource table, streamed (refreshed every second) by default,
one table with --no-stream, one JSON object per container and refresh with --format json.

In a terminal each refresh clears the screen first (like docker); otherwise the tables (or
JSON lines) simply follow each other. Without CONTAINER arguments the running containers are
listed again at every refresh (new ones appear, stopped ones leave); with arguments the
command ends once none of them exists any more.
"""
from __future__ import annotations

import sys
import time

HEADERS = ["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O",
           "BLOCK I/O", "PIDS"]
CLEAR = "\033[2J\033[H"


def binary_size(n: float) -> str:
    """docker's units.BytesSize: 1.09MiB."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.4g}{unit}"
        n /= 1024
    return str(n)


def decimal_size(n: float) -> str:
    """docker's units.HumanSizeWithPrecision(n, 3): 796B, 1.23kB."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.3g}{unit}"
        n /= 1000
    return str(n)


def stats_doc(ref: str, s: dict) -> dict:
    """The fields docker's `stats --format` knows (json: sorted keys, as docker prints)."""
    return {"BlockIO": f"{decimal_size(s['blk_read'])} / {decimal_size(s['blk_write'])}",
            "CPUPerc": f"{s['cpu_percent']:.2f}%", "Container": ref, "ID": s["id"][:12],
            "MemPerc": f"{s['memory_percent']:.2f}%",
            "MemUsage": f"{binary_size(s['memory_usage'])} / {binary_size(s['memory_limit'])}",
            "Name": s["name"], "NetIO": f"{decimal_size(s['net_rx'])} / {decimal_size(s['net_tx'])}",
            "PIDs": str(s["pids"])}


def _targets(eng, refs: list[str], all_: bool) -> list[str]:
    if refs:
        return list(refs)
    return [c.id for c in eng.containers.list(all=all_)]


def _samples(eng, refs: list[str], strict: bool) -> dict:
    """{ref: raw sample}; ``strict`` (first round, named containers): unknown -> NotFound."""
    from engine.errors import NotFound
    out = {}
    for ref in refs:
        try:
            out[ref] = eng.containers.stats_sample(ref)
        except NotFound:
            if strict:
                raise
    return out


def _render(docs: list[dict], fmt: str) -> str:
    from .view import render_format, table
    if fmt:
        return "".join(render_format(fmt, d) + "\n" for d in docs)
    rows = [[d["ID"], d["Name"], d["CPUPerc"], d["MemUsage"], d["MemPerc"], d["NetIO"],
             d["BlockIO"], d["PIDs"]] for d in docs]
    return table(rows, HEADERS, min_width=7) + "\n"   # docker: tabwriter minwidth 10


def run_stats(eng, refs: list[str], all_: bool, no_stream: bool, fmt: str,
              out=None, interval: float = 1.0, rounds: int = 0) -> int:
    """Print stats until interrupted (``rounds`` > 0: stop after that many refreshes)."""
    from engine.runtime.procinfo import stats_from
    out = out or sys.stdout
    explicit = bool(refs)
    clear = not no_stream and out.isatty()
    prev = _samples(eng, _targets(eng, refs, all_), explicit)
    time.sleep(0.2 if no_stream else min(0.5, interval))
    done = 0
    while True:
        cur = _samples(eng, _targets(eng, refs, all_), False)
        docs = [stats_doc(ref, stats_from(prev.get(ref, s), s)) for ref, s in cur.items()]
        out.write((CLEAR if clear else "") + _render(docs, fmt))
        out.flush()
        done += 1
        if no_stream or (rounds and done >= rounds) or (explicit and not cur):
            return 0
        prev = cur
        time.sleep(interval)
