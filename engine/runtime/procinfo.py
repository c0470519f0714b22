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


def container_stats(cid: str, name: str, st: dict, interval: float = 0.2) -> dict:
    """One sample like ``docker stats --no-stream`` (cpu % over ``interval``)."""
    from .cleanup import cgroup_from_plan
    base = {"id": cid, "name": name, "cpu_percent": 0.0, "memory_usage": 0, "memory_limit": 0,
            "memory_percent": 0.0, "pids": 0}
    cg = cgroup_from_plan({"cgroup": st.get("cgroup")})
    if cg is None or not st.get("running"):
        return base
    first, t0 = cg.stats(), time.monotonic()
    time.sleep(interval)
    second, t1 = cg.stats(), time.monotonic()
    host_mem = _host_memory()
    limit = second["memory_limit"]
    if not limit or limit >= host_mem:
        limit = host_mem
    usage = max(0, second["memory_usage"] - second["memory_cache"])
    cpu = (second["cpu_usage_ns"] - first["cpu_usage_ns"]) / ((t1 - t0) * 1e9) * 100.0
    base.update(cpu_percent=round(max(0.0, cpu), 2), memory_usage=usage, memory_limit=limit,
                memory_percent=round(usage * 100.0 / limit, 2) if limit else 0.0,
                pids=second["pids"])
    return base
