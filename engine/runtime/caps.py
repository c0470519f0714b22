"""Linux capabilities by name, Docker's default set, and cap_add / cap_drop arithmetic."""
from __future__ import annotations

from engine.errors import InvalidArgument

CAPS = {
    "chown": 0, "dac_override": 1, "dac_read_search": 2, "fowner": 3, "fsetid": 4, "kill": 5,
    "setgid": 6, "setuid": 7, "setpcap": 8, "linux_immutable": 9, "net_bind_service": 10,
    "net_broadcast": 11, "net_admin": 12, "net_raw": 13, "ipc_lock": 14, "ipc_owner": 15,
    "sys_module": 16, "sys_rawio": 17, "sys_chroot": 18, "sys_ptrace": 19, "sys_pacct": 20,
    "sys_admin": 21, "sys_boot": 22, "sys_nice": 23, "sys_resource": 24, "sys_time": 25,
    "sys_tty_config": 26, "mknod": 27, "lease": 28, "audit_write": 29, "audit_control": 30,
    "setfcap": 31, "mac_override": 32, "mac_admin": 33, "syslog": 34, "wake_alarm": 35,
    "block_suspend": 36, "audit_read": 37, "perfmon": 38, "bpf": 39, "checkpoint_restore": 40,
}

# Docker's default capability set (moby oci/caps/defaults.go): 14 capabilities, 0xa80425fb
DOCKER_DEFAULT = ("chown", "dac_override", "fowner", "fsetid", "kill", "setgid", "setuid",
                  "setpcap", "net_bind_service", "net_raw", "sys_chroot", "mknod",
                  "audit_write", "setfcap")


def normalize(name: str) -> str:
    """'CAP_SYS_ADMIN' / 'sys_admin' / 'SYS_ADMIN' -> 'sys_admin' ('all' stays 'all')."""
    n = name.strip().lower()
    if n.startswith("cap_"):
        n = n[4:]
    if n != "all" and n not in CAPS:
        raise InvalidArgument(f"unknown capability: {name!r}")
    return n


def effective_caps(cap_add=(), cap_drop=(), privileged: bool = False) -> list[str]:
    """The capability names a container gets (Docker's TweakCapabilities order of rules)."""
    if privileged:
        return sorted(CAPS, key=CAPS.get)
    add = [normalize(c) for c in cap_add]
    drop = [normalize(c) for c in cap_drop]
    if "all" in add:
        base = set(CAPS)
    else:
        base = set(DOCKER_DEFAULT)
    if "all" in drop:
        base = set(c for c in add if c != "all") if "all" not in add else set(CAPS)
    else:
        base |= {c for c in add if c != "all"}
        base -= set(drop)
    return sorted(base, key=CAPS.get)


def mask(names, last_cap: int = 63) -> int:
    m = 0
    for n in names:
        bit = CAPS[n]
        if bit <= last_cap:
            m |= 1 << bit
    return m
