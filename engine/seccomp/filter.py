"""The default seccomp filter: Docker's default profile's refusals, as a classic BPF program.

Docker's profile is an allow-list; ours is a deny-list of the calls that profile refuses
(unless a capability re-enables them, as Docker does for e.g. CAP_SYS_ADMIN), which gives the
same answers for those calls: EPERM. ``clone`` with namespace flags is refused, ``clone3``
answers ENOSYS (so libc falls back to ``clone``, whose flags the filter can read), and calls
from another ABI (x32, or a foreign audit arch) are refused.

Program layout:
    ld arch; jeq AUDIT_ARCH ? next : ret EPERM
    ld nr;  [x86_64: jge X32 bit -> ret EPERM]
    jeq clone -> clone check; jeq clone3 -> ret ENOSYS; jeq <denied> -> ret EPERM ...
    ret ALLOW
    clone check: ld args[0] (low word); jset NS flags -> ret EPERM; ret ALLOW
"""
from __future__ import annotations

import ctypes
import errno
import os
import struct

from .syscalls_table import AUDIT_ARCH, TABLES, X32_SYSCALL_BIT

SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000

BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_JGE_K = 0x35
BPF_JSET_K = 0x45
BPF_RET_K = 0x06

CLONE_NS_FLAGS = (0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
                  | 0x20000000 | 0x40000000)

# calls refused unless the container holds the named capability (Docker's profile rules)
CAP_GATED = {
    "sys_admin": ("mount", "umount2", "unshare", "setns", "pivot_root", "open_tree",
                  "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
                  "quotactl", "quotactl_fd", "fanotify_init", "lookup_dcookie",
                  "perf_event_open", "name_to_handle_at", "bpf", "clone-ns", "swapon",
                  "swapoff", "sysfs", "_sysctl", "uselib", "ustat", "vhangup"),
    "sys_boot": ("reboot",),
    "sys_module": ("init_module", "finit_module", "delete_module", "create_module",
                   "query_module", "get_kernel_syms"),
    "sys_time": ("settimeofday", "clock_settime", "clock_adjtime", "adjtimex"),
    "syslog": ("syslog",),
    "sys_pacct": ("acct",),
    "sys_rawio": ("iopl", "ioperm"),
    "sys_ptrace": ("kcmp",),
    "sys_nice": ("mbind", "set_mempolicy", "get_mempolicy", "move_pages"),
    "dac_read_search": ("open_by_handle_at",),
}
ALWAYS_DENIED = ("keyctl", "add_key", "request_key", "kexec_load", "kexec_file_load",
                 "userfaultfd", "nfsservctl")


def denied_syscalls(caps: set[str] = frozenset()) -> set[str]:
    """Names the filter refuses for a container holding ``caps`` (lower-case, no CAP_)."""
    denied = set(ALWAYS_DENIED)
    for cap, calls in CAP_GATED.items():
        if cap not in caps:
            denied.update(calls)
    if "sys_admin" in caps:
        denied.discard("bpf")
        denied.discard("open_by_handle_at") if "dac_read_search" in caps else None
    return denied


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k & 0xFFFFFFFF)


def build_filter(caps: set[str] = frozenset(), machine: str | None = None) -> bytes:
    """The BPF program (bytes of sock_filter structs) for a container holding ``caps``."""
    machine = machine or os.uname().machine
    table = TABLES.get(machine)
    if table is None:
        raise OSError(errno.ENOSYS, f"no seccomp syscall table for architecture {machine}")
    denied = denied_syscalls(caps)
    deny_clone_ns = "clone-ns" in denied
    nrs = sorted({table[name] for name in denied if name in table})
    # body: list of (kind, value); offsets resolved once the size is known
    body: list[tuple[str, int]] = []
    if deny_clone_ns and "clone" in table:
        body.append(("to_clone", table["clone"]))
    if deny_clone_ns and "clone3" in table:
        body.append(("to_enosys", table["clone3"]))
    body += [("to_eperm", nr) for nr in nrs]
    prog = [_insn(BPF_LD_W_ABS, 0, 0, 4),
            _insn(BPF_JEQ_K, 1, 0, AUDIT_ARCH[machine]),
            _insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM),
            _insn(BPF_LD_W_ABS, 0, 0, 0)]
    if machine == "x86_64":
        prog.append(_insn(BPF_JGE_K, 0, 1, X32_SYSCALL_BIT))
        prog.append(_insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM))
    start = len(prog)
    n = len(body)
    # tail after body: [n] ret ALLOW, [n+1] ret EPERM, [n+2] ret ENOSYS,
    # [n+3] ld args[0], [n+4] jset NS -> EPERM, [n+5] ret ALLOW
    targets = {"to_eperm": n + 1, "to_enosys": n + 2, "to_clone": n + 3}
    for i, (kind, nr) in enumerate(body):
        jt = targets[kind] - i - 1
        if jt > 255:
            raise ValueError("seccomp filter too long for 8-bit jumps")
        prog.append(_insn(BPF_JEQ_K, jt, 0, nr))
    prog.append(_insn(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW))
    prog.append(_insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM))
    prog.append(_insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.ENOSYS))
    prog.append(_insn(BPF_LD_W_ABS, 0, 0, 16))          # args[0], low 32 bits (little endian)
    prog.append(_insn(BPF_JSET_K, 0, 1, CLONE_NS_FLAGS))
    prog.append(_insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM))
    prog.append(_insn(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW))
    assert start >= 0
    return b"".join(prog)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_filter(program: bytes) -> None:
    """Install ``program`` on the calling thread (needs no_new_privs or CAP_SYS_ADMIN)."""
    from engine.runtime import syscalls
    buf = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.addressof(buf))
    syscalls.prctl(syscalls.PR_SET_SECCOMP, syscalls.SECCOMP_MODE_FILTER,
                   ctypes.addressof(fprog))
