"""cgroup v2 device allow-list: an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) built in Python
and attached to the container's cgroup with the bpf(2) syscall (what runc's devicefilter does).

The program reads struct bpf_cgroup_dev_ctx {u32 access_type (access << 16 | type);
u32 major; u32 minor}, walks the allow rules in order and returns 1 (allow) on the first
match, else 0 (deny → EPERM for mknod/open).
"""
from __future__ import annotations

import ctypes
import os
import struct

from engine.errors import RuntimeFailure

BPF_PROG_LOAD = 5
BPF_PROG_ATTACH = 8
BPF_PROG_TYPE_CGROUP_DEVICE = 15
BPF_CGROUP_DEVICE = 6
BPF_F_ALLOW_MULTI = 2
NR_BPF = {"x86_64": 321, "aarch64": 280}

DEV_BLOCK, DEV_CHAR = 1, 2
ACC = {"m": 1, "r": 2, "w": 4}

# eBPF opcodes
LDX_W = 0x61          # dst = *(u32 *)(src + off)
AND32_K = 0x54
RSH32_K = 0x74
MOV32_X = 0xBC
MOV64_K = 0xB7
JNE_K = 0x55
EXIT = 0x95


def _insn(code: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)


def _rule_block(kind: str, major: int, minor: int, access: str) -> list[bytes]:
    """Instructions that 'return 1' when the request matches; falls through otherwise."""
    checks: list[tuple] = []
    if kind in ("b", "c"):
        checks.append((2, DEV_BLOCK if kind == "b" else DEV_CHAR))
    mask = sum(ACC[c] for c in set(access))
    if mask != 7:
        checks.append(("access", mask))
    if major >= 0:
        checks.append((4, major))
    if minor >= 0:
        checks.append((5, minor))
    body: list[bytes] = []
    for i, (reg, value) in enumerate(checks):
        remaining_after = sum(3 if c[0] == "access" else 1 for c in checks[i + 1:])
        skip = remaining_after + 2                  # the remaining checks + "r0 = 1; exit"
        if reg == "access":
            body.append(_insn(MOV32_X, dst=0, src=3))
            body.append(_insn(AND32_K, dst=0, imm=~value & 0xFFFF))
            body.append(_insn(JNE_K, dst=0, off=skip, imm=0))
        else:
            body.append(_insn(JNE_K, dst=reg, off=skip, imm=value))
    return body + [_insn(MOV64_K, dst=0, imm=1), _insn(EXIT)]


def build_program(rules) -> bytes:
    """rules: [(type 'a'|'b'|'c', major, minor, access)] (-1 = any) -> eBPF instructions."""
    prog = [_insn(LDX_W, dst=2, src=1, off=0), _insn(AND32_K, dst=2, imm=0xFFFF),
            _insn(LDX_W, dst=3, src=1, off=0), _insn(RSH32_K, dst=3, imm=16),
            _insn(LDX_W, dst=4, src=1, off=4), _insn(LDX_W, dst=5, src=1, off=8)]
    for rule in rules:
        prog += _rule_block(*rule)
    prog += [_insn(MOV64_K, dst=0, imm=0), _insn(EXIT)]
    return b"".join(prog)


def _bpf(cmd: int, attr: bytes) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    buf = ctypes.create_string_buffer(attr, 128)
    nr = NR_BPF.get(os.uname().machine)
    if nr is None:
        raise RuntimeFailure("cgroup v2 device filter: unsupported architecture")
    res = libc.syscall(nr, cmd, buf, 128)
    if res < 0:
        err = ctypes.get_errno()
        raise RuntimeFailure(f"cgroup v2 device filter: bpf({cmd}) failed: {os.strerror(err)}")
    return res


def attach(cgroup_dir: str, rules) -> None:
    """Load the program for ``rules`` and attach it to ``cgroup_dir``."""
    program = build_program(rules)
    insns = ctypes.create_string_buffer(program, len(program))
    license_ = ctypes.create_string_buffer(b"Apache")
    attr = struct.pack("<IIQQIIQII16sII", BPF_PROG_TYPE_CGROUP_DEVICE, len(program) // 8,
                       ctypes.addressof(insns), ctypes.addressof(license_), 0, 0, 0, 0, 0,
                       b"pycompose_dev", 0, 0)
    prog_fd = _bpf(BPF_PROG_LOAD, attr)
    cg_fd = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        _bpf(BPF_PROG_ATTACH, struct.pack("<IIII", cg_fd, prog_fd, BPF_CGROUP_DEVICE,
                                          BPF_F_ALLOW_MULTI))
    finally:
        os.close(cg_fd)
        os.close(prog_fd)
