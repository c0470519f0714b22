"""Docker's resource settings → one neutral dict the v1 and v2 drivers write.

Rules (moby daemon): memory_swap unset with a memory limit → swap total = 2 × memory
(i.e. as much swap as memory); -1 → unlimited. cpus (nano_cpus) → period 100000 µs and
quota = cpus × period. Default device allow-list = Docker's (runc's AllowedDevices).
"""
from __future__ import annotations

from engine.errors import InvalidArgument

# Docker's default device rules: (type, major, minor, access); -1 = wildcard
DEFAULT_DEVICE_RULES = (
    ("c", -1, -1, "m"), ("b", -1, -1, "m"),
    ("c", 1, 3, "rwm"), ("c", 1, 5, "rwm"), ("c", 1, 7, "rwm"), ("c", 1, 8, "rwm"),
    ("c", 1, 9, "rwm"), ("c", 5, 0, "rwm"), ("c", 5, 1, "rwm"), ("c", 5, 2, "rwm"),
    ("c", 136, -1, "rwm"), ("c", 10, 200, "rwm"),
)
MIN_MEMORY = 6 * 1024 * 1024


def parse_rule(rule: str) -> tuple:
    """'c 1:3 rwm' / 'b *:* m' / 'a' -> (type, major, minor, access)."""
    parts = rule.split()
    if parts == ["a"] or rule.strip() == "a *:* rwm":
        return ("a", -1, -1, "rwm")
    if len(parts) != 3 or parts[0] not in ("a", "b", "c") or ":" not in parts[1]:
        raise InvalidArgument(f"invalid device cgroup rule {rule!r} (want e.g. 'c 1:3 rwm')")
    major, _, minor = parts[1].partition(":")
    try:
        maj = -1 if major == "*" else int(major)
        mnr = -1 if minor == "*" else int(minor)
    except ValueError:
        raise InvalidArgument(f"invalid device cgroup rule {rule!r}") from None
    if not set(parts[2]) <= set("rwm"):
        raise InvalidArgument(f"invalid device cgroup rule {rule!r}")
    return (parts[0], maj, mnr, parts[2])


def format_rule(rule: tuple) -> str:
    kind, major, minor, access = rule
    if kind == "a":
        return "a"
    return f"{kind} {'*' if major < 0 else major}:{'*' if minor < 0 else minor} {access}"


def from_resources(res, *, privileged: bool = False, devices=()) -> dict:
    """A ``Resources`` (+ device mappings as (type, major, minor, access)) → limits dict."""
    out: dict = {}
    if res.memory:
        if res.memory < MIN_MEMORY:
            raise InvalidArgument("Minimum memory limit allowed is 6MB")
        out["memory"] = res.memory
        if res.memory_swap is None or res.memory_swap == 0:
            out["memory_swap"] = 2 * res.memory
        elif res.memory_swap == -1:
            out["memory_swap"] = -1
        else:
            if res.memory_swap < res.memory:
                raise InvalidArgument("Minimum memoryswap limit should be larger than memory "
                                      "limit, see usage")
            out["memory_swap"] = res.memory_swap
    elif res.memory_swap not in (None, 0, -1):
        raise InvalidArgument("You should always set the Memory limit when using Memoryswap "
                              "limit, see usage")
    if res.memory_reservation:
        out["memory_reservation"] = res.memory_reservation
    if res.memory_swappiness is not None and res.memory_swappiness >= 0:
        if res.memory_swappiness > 100:
            raise InvalidArgument("Invalid value: memory_swappiness must be in 0-100")
        out["memory_swappiness"] = res.memory_swappiness
    if res.oom_kill_disable:
        out["oom_kill_disable"] = True
    _cpu(res, out)
    if res.cpuset_cpus:
        out["cpuset_cpus"] = res.cpuset_cpus
    if res.cpuset_mems:
        out["cpuset_mems"] = res.cpuset_mems
    if res.pids_limit is not None and res.pids_limit > 0:
        out["pids_limit"] = res.pids_limit
    if res.blkio_weight:
        out["blkio_weight"] = res.blkio_weight
    if privileged:
        out["devices"] = [("a", -1, -1, "rwm")]
    else:
        rules = list(DEFAULT_DEVICE_RULES) + list(devices)
        rules += [parse_rule(r) for r in res.device_cgroup_rules]
        out["devices"] = rules
    return out


def _cpu(res, out: dict) -> None:
    if res.nano_cpus:
        if res.nano_cpus < 0:
            raise InvalidArgument("Range of CPUs is from 0.01 to the number of CPUs")
        if res.cpu_quota or res.cpu_period:
            raise InvalidArgument("Conflicting options: Nano CPUs and CPU Period/Quota "
                                  "cannot both be set")
        out["cpu_period"] = 100000
        out["cpu_quota"] = res.nano_cpus * 100000 // 1_000_000_000
    else:
        if res.cpu_period:
            out["cpu_period"] = res.cpu_period
        if res.cpu_quota:
            out["cpu_quota"] = res.cpu_quota
    if res.cpu_shares:
        out["cpu_shares"] = res.cpu_shares
