"""Process tables (``top``) and resource figures (``stats``) read from /proc and the cgroup."""
from __future__ import annotations

import os
import pwd
import time

TITLES = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]


def _clk_tck() -> int:
    return os.sysconf("SC_CLK_TCK")


def _boot_time() -> float:
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("btime"):
                return float(line.split()[1])
    return 0.0


def _row(pid: int, boot: float, tck: int):
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        uid = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2:].split()
    comm = raw[raw.find("(") + 1:raw.rfind(")")]
    ppid = int(fields[1])
    cpu_secs = (int(fields[11]) + int(fields[12])) // tck
    start = boot + int(fields[19]) / tck
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    tty = "?" if int(fields[4]) == 0 else f"pts/{os.minor(int(fields[4]))}"
    return [user, str(pid), str(ppid), "0", time.strftime("%H:%M", time.localtime(start)), tty,
            time.strftime("%H:%M:%S", time.gmtime(cpu_secs)), cmd or f"[{comm}]"]


def process_table(pids) -> dict:
    boot, tck = _boot_time(), _clk_tck()
    rows = [r for r in (_row(p, boot, tck) for p in sorted(pids)) if r is not None]
    return {"Titles": list(TITLES), "Processes": rows}


def _host_memory() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def _net_io(pid: int) -> tuple[int, int]:
    """(received, sent) bytes of the container's interfaces except lo (its netns's view)."""
    rx = tx = 0
    try:
        with open(f"/proc/{pid}/net/dev") as f:
            for line in f.readlines()[2:]:
                name, _, data = line.partition(":")
                fields = data.split()
                if name.strip() != "lo" and len(fields) >= 9:
                    rx, tx = rx + int(fields[0]), tx + int(fields[8])
    except (OSError, ValueError):
        pass
    return rx, tx


def sample(cid: str, name: str, st: dict) -> dict:
    """Raw counters now (``stats_from`` turns two samples into docker stats figures)."""
    from .cleanup import cgroup_from_plan
    out = {"id": cid, "name": name, "running": False, "time": time.monotonic()}
    cg = cgroup_from_plan({"cgroup": st.get("cgroup")})
    if cg is None or not st.get("running"):
        return out
    try:
        out.update(cg.stats(), running=True)
    except OSError:
        return out
    out["net_rx"], out["net_tx"] = _net_io(st.get("pid", 0))
    return out


def stats_from(first: dict, second: dict, host_mem: int = 0) -> dict:
    """docker stats figures: cpu % over the time between the samples, memory without the
    inactive page cache, limit capped at the host's memory, net and block I/O totals."""
    base = {"id": second["id"], "name": second["name"], "cpu_percent": 0.0, "memory_usage": 0,
            "memory_limit": 0, "memory_percent": 0.0, "pids": 0, "net_rx": 0, "net_tx": 0,
            "blk_read": 0, "blk_write": 0}
    if not second.get("running"):
        return base
    host_mem = host_mem or _host_memory()
    limit = second["memory_limit"]
    if not limit or limit >= host_mem:
        limit = host_mem
    usage = max(0, second["memory_usage"] - second["memory_cache"])
    cpu = 0.0
    elapsed = second["time"] - first["time"]
    if first.get("running") and elapsed > 0:
        cpu = (second["cpu_usage_ns"] - first["cpu_usage_ns"]) / (elapsed * 1e9) * 100.0
    base.update(cpu_percent=round(max(0.0, cpu), 2), memory_usage=usage, memory_limit=limit,
                memory_percent=round(usage * 100.0 / limit, 2) if limit else 0.0,
                pids=second["pids"], net_rx=second.get("net_rx", 0),
                net_tx=second.get("net_tx", 0), blk_read=second.get("blk_read", 0),
                blk_write=second.get("blk_write", 0))
    return base


def container_stats(cid: str, name: str, st: dict, interval: float = 0.2) -> dict:
    """One sample like ``docker stats --no-stream`` (cpu % over ``interval``)."""
    first = sample(cid, name, st)
    if first.get("running"):
        time.sleep(interval)
    return stats_from(first, sample(cid, name, st))
