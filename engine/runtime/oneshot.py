"""Run one command in a root filesystem and wait for it (the builder's RUN steps).

Same namespaces, capabilities, seccomp filter and masked paths as a container; no shim, no
cgroup limits, no logs. The root is mounted only inside the command's private mount
namespace, so nothing is left mounted when it ends.

    code = run_in_rootfs(rootfs, ["sh", "-c", "echo hi"], env={}, on_output=buf.extend)
"""
from __future__ import annotations

import os
import shutil
import tempfile
from typing import Callable, Optional

from engine.errors import RuntimeFailure
from engine.types import RootfsMount

from .plan import oneshot_plan
from .process import spawn

HOSTS_BASE = ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
              "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
              "ff02::2\tip6-allrouters\n")


def _hosts_text(hostname: str, extra_hosts) -> str:
    lines = [HOSTS_BASE]
    for entry in extra_hosts:
        sep = "=" if "=" in entry and ":" not in entry.split("=", 1)[0] else ":"
        name, _, ip = entry.partition(sep)
        if ip.startswith("[") and ip.endswith("]"):
            ip = ip[1:-1]
        lines.append(f"{ip}\t{name}\n")
    if hostname:
        lines.append(f"127.0.1.1\t{hostname}\n")
    return "".join(lines)


def _resolv_text(network: str) -> str:
    if network == "none":
        return ""
    try:
        with open("/etc/resolv.conf") as f:
            text = f.read()
    except OSError:
        return "nameserver 8.8.8.8\n"
    kept = [ln for ln in text.splitlines()
            if not (ln.startswith("nameserver") and ln.split()[1:2] and
                    ln.split()[1].startswith("127."))] if network != "host" else text.splitlines()
    return "\n".join(kept) + "\n"


def run_in_rootfs(rootfs: RootfsMount, argv, *, env: dict, user: str = "", workdir: str = "/",
                  mounts=(), network: str = "host", hostname: str = "",
                  on_output: Optional[Callable[[bytes], None]] = None,
                  extra_hosts=()) -> int:
    """Run ``argv`` inside ``rootfs`` and return its exit code.

    network: "host" (share the host's network namespace) or "none" (private, lo only).
    on_output receives stdout+stderr chunks as they arrive (None: discard).
    Raises RuntimeFailure if the container could not be set up (bad rootfs, unknown user,
    command not found: the message says which).
    """
    if network not in ("host", "none"):
        raise RuntimeFailure(f"run_in_rootfs: unsupported network mode {network!r}")
    scratch = tempfile.mkdtemp(prefix="pycompose-run-", dir="/run" if os.access("/run", os.W_OK)
                               else None)
    try:
        hosts = os.path.join(scratch, "hosts")
        resolv = os.path.join(scratch, "resolv.conf")
        with open(hosts, "w") as f:
            f.write(_hosts_text(hostname, extra_hosts))
        with open(resolv, "w") as f:
            f.write(_resolv_text(network))
        etc = {"/etc/hosts": hosts, "/etc/resolv.conf": resolv}
        plan = oneshot_plan(rootfs, os.path.join(scratch, "root"), argv, env, user, workdir,
                            mounts, network, hostname, etc)
        return _run(plan, on_output)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(plan: dict, on_output) -> int:
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    try:
        inter, _pid1, error = _spawn_with_reader(plan, devnull, out_w, out_r, on_output)
    finally:
        os.close(devnull)
    _, status = os.waitpid(inter, 0)
    code = os.waitstatus_to_exitcode(status)
    if error is not None:
        if error[0] in (126, 127):
            if on_output is not None:
                on_output((error[1] + "\n").encode())
            return error[0]
        raise RuntimeFailure(error[1])
    return code if code >= 0 else 128 - code


def _spawn_with_reader(plan, stdin_fd, out_w, out_r, on_output):
    """spawn() blocks until exec; read the output pipe in a thread meanwhile."""
    import threading
    chunks_done = threading.Event()

    def pump():
        try:
            while True:
                try:
                    data = os.read(out_r, 65536)
                except InterruptedError:
                    continue
                if not data:
                    break
                if on_output is not None:
                    on_output(data)
        finally:
            os.close(out_r)
            chunks_done.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        result = spawn(plan, (stdin_fd, out_w, out_w), wait=True)
    finally:
        os.close(out_w)
    reader.join()
    return result
