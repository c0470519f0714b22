"""Syscall numbers of the calls the default filter refuses, per architecture.

Only what the filter needs; numbers from the kernel's syscall tables
(arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/asm-generic/unistd.h).
"""
from __future__ import annotations

AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
X32_SYSCALL_BIT = 0x40000000

X86_64 = {
    "acct": 163, "add_key": 248, "adjtimex": 159, "bpf": 321, "clock_adjtime": 305,
    "clock_settime": 227, "clone": 56, "clone3": 435, "create_module": 174,
    "delete_module": 176, "fanotify_init": 300, "finit_module": 313, "get_kernel_syms": 177,
    "get_mempolicy": 239, "init_module": 175, "ioperm": 173, "iopl": 172, "kcmp": 312,
    "kexec_file_load": 320, "kexec_load": 246, "keyctl": 250, "lookup_dcookie": 212,
    "mbind": 237, "mount": 165, "move_pages": 279, "name_to_handle_at": 303,
    "nfsservctl": 180, "open_by_handle_at": 304, "perf_event_open": 298, "pivot_root": 155,
    "query_module": 178, "quotactl": 179, "reboot": 169, "request_key": 249,
    "set_mempolicy": 238, "setns": 308, "settimeofday": 164, "swapon": 167, "swapoff": 168,
    "sysfs": 139, "_sysctl": 156, "syslog": 103, "umount2": 166, "unshare": 272,
    "uselib": 134, "userfaultfd": 323, "ustat": 136, "vhangup": 153,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
    "fspick": 433, "mount_setattr": 442, "quotactl_fd": 443,
}

AARCH64 = {
    "acct": 89, "add_key": 217, "adjtimex": 171, "bpf": 280, "clock_adjtime": 266,
    "clock_settime": 112, "clone": 220, "clone3": 435, "delete_module": 106,
    "fanotify_init": 262, "finit_module": 273, "get_mempolicy": 236, "init_module": 105,
    "kcmp": 272, "kexec_file_load": 294, "kexec_load": 104, "keyctl": 219,
    "lookup_dcookie": 18, "mbind": 235, "mount": 40, "move_pages": 239,
    "name_to_handle_at": 264, "open_by_handle_at": 265, "perf_event_open": 241,
    "pivot_root": 41, "quotactl": 60, "reboot": 142, "request_key": 218,
    "set_mempolicy": 237, "setns": 268, "settimeofday": 170, "swapon": 224, "swapoff": 225,
    "syslog": 116, "umount2": 39, "unshare": 97, "userfaultfd": 282, "vhangup": 58,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
    "fspick": 433, "mount_setattr": 442, "quotactl_fd": 443,
}

TABLES = {"x86_64": X86_64, "aarch64": AARCH64}
