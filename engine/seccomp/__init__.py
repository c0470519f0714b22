"""Seccomp: a default syscall filter (Docker's refusals) as classic BPF, installed via prctl."""
from .filter import build_filter, install_filter, denied_syscalls  # noqa: F401
