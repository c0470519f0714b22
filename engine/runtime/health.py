"""Healthchecks, run by the shim inside the container (Docker's semantics).

Status starts "starting". A probe runs every ``interval`` (``start_interval`` during the
start period), in the container's namespaces and cgroup, with the container's user, env and
privileges. Exit 0 → "healthy" and the failing streak resets; a failure (non-zero exit or
timeout, ExitCode -1) increments the streak — except inside the start period, where a
failure does not count — and ``retries`` consecutive failures → "unhealthy". The last 5
probes are kept with their (4 KiB max) output.
"""
from __future__ import annotations

import os
import signal
import time

from . import logfile, nsexec

MAX_OUTPUT = 4096
KEEP = 5


class HealthRunner:
    def __init__(self, hc: dict, plan: dict, state):
        self.hc = hc
        self.plan = plan
        self.state = state
        self.started = time.monotonic()
        self.next_at = self.started + self._period(self.started)
        self.probe = None          # dict: pid, fd, out, start, deadline, start_ts
        self.status = "starting"
        self.streak = 0
        self.log: list[dict] = []
        self.state.update(health={"status": "starting", "failing_streak": 0, "log": []})

    def _period(self, now: float) -> float:
        in_start = now - self.started < self.hc.get("start_period", 0)
        if in_start and self.hc.get("start_interval"):
            return self.hc["start_interval"]
        return self.hc.get("interval") or 30.0

    def next_due(self) -> float:
        if self.probe is not None:
            return min(self.probe["deadline"], time.monotonic() + 0.1)
        return self.next_at

    def fds(self) -> list[int]:
        return [self.probe["fd"]] if self.probe and self.probe["fd"] >= 0 else []

    def tick(self, pid1: int, paused: bool = False) -> None:
        now = time.monotonic()
        if self.probe is not None:
            if now >= self.probe["deadline"]:
                self._timeout()
            return
        if now < self.next_at or paused:
            return
        self._start_probe(pid1)

    def _start_probe(self, pid1: int) -> None:
        rt = self.plan["runtime"]
        proc = dict(rt["process"], argv=list(self.hc["argv"]), pdeathsig=True, tty=False)
        out_r, out_w = os.pipe()
        null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        start_ts = logfile.timestamp()
        pid, error = nsexec.enter(pid1, rt.get("cgroup_procs", ()), proc, (null, out_w, out_w))
        os.close(out_w)
        os.close(null)
        now = time.monotonic()
        self.probe = {"pid": pid, "fd": out_r, "out": b"", "start_ts": start_ts,
                      "deadline": now + (self.hc.get("timeout") or 30.0), "code": None,
                      "error": error}

    def readable(self, fd: int) -> None:
        if not self.probe or fd != self.probe["fd"]:
            return
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if data:
            if len(self.probe["out"]) < MAX_OUTPUT:
                self.probe["out"] += data
            return
        os.close(fd)
        self.probe["fd"] = -1
        self._maybe_done()

    def reaped(self, pid: int, status: int) -> None:
        if self.probe and pid == self.probe["pid"]:
            self.probe["code"] = (os.waitstatus_to_exitcode(status) if os.WIFEXITED(status)
                                  else 128 + os.WTERMSIG(status))
            self._maybe_done()

    def _maybe_done(self) -> None:
        p = self.probe
        if p["code"] is None or p["fd"] >= 0:
            return
        output = p["out"][:MAX_OUTPUT].decode(errors="replace")
        if p["error"] is not None:
            output = p["error"][1]
        self._record(p["code"], output, p["start_ts"])

    def _timeout(self) -> None:
        p = self.probe
        try:
            os.kill(p["pid"], signal.SIGKILL)
        except OSError:
            pass
        if p["fd"] >= 0:
            os.close(p["fd"])
        timeout = self.hc.get("timeout") or 30.0
        self._record(-1, f"Health check exceeded timeout ({timeout:g}s)", p["start_ts"],
                     keep_pid=p["pid"])

    def _record(self, code: int, output: str, start_ts: str, keep_pid: int = 0) -> None:
        now = time.monotonic()
        self.probe = None
        in_start_period = now - self.started < self.hc.get("start_period", 0)
        if code == 0:
            self.status, self.streak = "healthy", 0
        elif not in_start_period or self.status != "starting":
            self.streak += 1
            if self.streak >= (self.hc.get("retries") or 3):
                self.status = "unhealthy"
        self.log = (self.log + [{"Start": start_ts, "End": logfile.timestamp(),
                                 "ExitCode": code, "Output": output}])[-KEEP:]
        self.state.update(health={"status": self.status, "failing_streak": self.streak,
                                  "log": self.log})
        self.next_at = now + self._period(now)

    def stop(self) -> None:
        if self.probe is not None:
            try:
                os.kill(self.probe["pid"], signal.SIGKILL)
            except OSError:
                pass
            if self.probe["fd"] >= 0:
                os.close(self.probe["fd"])
            self.probe = None
