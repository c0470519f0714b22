"""Parsers for the short syntaxes: ports, volumes, devices, extra_hosts, key=value lists.

All return the long-syntax dicts exactly as Docker Compose prints them.
"""
from __future__ import annotations

import re
from typing import Any

from compose.errors import ConfigError

_PROPAGATION = {"rprivate", "private", "rshared", "shared", "rslave", "slave"}


def scalar_str(value: Any) -> str:
    """Go's %v for a YAML scalar: True -> "true", 1.50 -> "1.5"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "+Inf" if value > 0 else "-Inf"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)


def _split_port_part(text: str) -> tuple:
    """'ip:host:container' -> (ip, host, container) handling [v6] addresses."""
    ip = ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(f"invalid IP address: {text}")
        ip, text = text[1:end], text[end + 1:].lstrip(":")
        parts = text.split(":")
        host, container = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])
        return ip, host, container
    parts = text.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    # bare IPv6 address without brackets: the last two are host:container
    ip = ":".join(parts[:-2])
    import ipaddress
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        raise ValueError(f"invalid IP address: {ip}") from None
    return ip, parts[-2], parts[-1]


def _port_range(text: str, what: str) -> tuple:
    if text == "":
        return None
    m = re.fullmatch(r"(\d+)(?:-(\d+))?", text)
    if not m:
        raise ValueError(f"invalid {what}port: {text}" if what else f"invalid port: {text}")
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else start
    if end < start:
        raise ValueError(f"invalid range specified for port: {text}")
    return start, end


def parse_port(spec: Any) -> list:
    """Short port syntax -> list of long-syntax dicts (ranges expand)."""
    text = scalar_str(spec)
    proto = "tcp"
    if "/" in text:
        text, proto = text.rsplit("/", 1)
        proto = proto.lower()
    try:
        ip, host, container = _split_port_part(text)
        if container == "":
            raise ValueError(f"no port specified: {scalar_str(spec)}<empty>")
        c_start, c_end = _port_range(container, "")
        host_range = _port_range(host, "host") if host else None
    except ValueError as e:
        raise ConfigError(f"invalid port {scalar_str(spec)!r}: {e}") from None
    entries = []
    count = c_end - c_start + 1
    if host_range and host_range[1] - host_range[0] + 1 != count and count != 1:
        raise ConfigError(f"invalid port {scalar_str(spec)!r}: invalid ranges specified for "
                          "container and host Ports")
    for i in range(count):
        target = c_start + i
        if host_range is None:
            published = None
        elif count == 1:
            published = host if host_range[0] != host_range[1] else str(host_range[0])
        else:
            published = str(host_range[0] + i)
        entry: dict = {"mode": "ingress"}
        if ip:
            entry["host_ip"] = ip
        entry["target"] = target
        if published is not None:
            entry["published"] = published
        entry["protocol"] = proto
        entries.append((f"{target}/{proto}", entry))
    entries.sort(key=lambda kv: kv[0])
    return [e for _, e in entries]


def long_port(d: dict) -> dict:
    out: dict = {}
    for key in ("name", "mode", "host_ip", "target", "published", "protocol", "app_protocol"):
        if key in d and d[key] is not None and d[key] != "":
            out[key] = d[key]
    out.setdefault("mode", "ingress")
    out.setdefault("protocol", "tcp")
    if "target" in out:
        try:
            out["target"] = int(out["target"])
        except (TypeError, ValueError):
            raise ConfigError(f"invalid port target {out['target']!r}") from None
    if "published" in out:
        out["published"] = scalar_str(out["published"])
    for k in list(d):
        if k.startswith("x-"):
            out[k] = d[k]
    ordered = {k: out[k] for k in ("name", "mode", "host_ip", "target", "published", "protocol",
                                   "app_protocol") if k in out}
    ordered.update({k: v for k, v in out.items() if k not in ordered})
    return ordered


def _split_volume(spec: str) -> list:
    parts, cur, i = [], "", 0
    while i < len(spec):
        if not cur and re.match(r"[A-Za-z]:[\\/]", spec[i:i + 3]):
            cur, i = spec[i:i + 2], i + 2
            continue
        c = spec[i]
        if c == ":":
            parts.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    parts.append(cur)
    return parts


def _is_path(source: str) -> bool:
    return source.startswith((".", "/", "~", "\\")) or bool(re.match(r"[A-Za-z]:[\\/]", source))


def parse_volume(spec: str) -> dict:
    """Short volume syntax 'src:dst:opts' -> long syntax dict."""
    if spec == "":
        raise ConfigError("invalid empty volume spec")
    parts = _split_volume(spec)
    if len(parts) > 3 or any(p == "" for p in parts[:2]):
        raise ConfigError(f"invalid spec: {spec}: too many colons" if len(parts) > 3
                          else f"invalid spec: {spec}: empty section between colons")
    if len(parts) == 1:
        entry: dict = {"type": "volume", "target": parts[0]}
        if len(parts[0]) > 2:
            entry["volume"] = {}
        return entry
    source, target = parts[0], parts[1]
    options = parts[2].split(",") if len(parts) == 3 else []
    kind = "bind" if _is_path(source) else "volume"
    entry = {"type": kind, "source": source, "target": target}
    bind: dict = {}
    volume: dict = {}
    for opt in options:
        if opt in ("ro", "rw"):
            if opt == "ro":
                entry["read_only"] = True
        elif opt in ("z", "Z"):
            bind["selinux"] = opt
        elif opt in _PROPAGATION:
            bind["propagation"] = opt
        elif opt == "nocopy":
            volume["nocopy"] = True
    if kind == "bind":
        bind["create_host_path"] = True
        entry["bind"] = {k: bind[k] for k in ("selinux", "propagation", "create_host_path") if k in bind}
    else:
        entry["volume"] = volume
    return entry


def parse_device(spec: str) -> dict:
    parts = spec.split(":")
    if len(parts) == 1:
        return {"source": parts[0], "target": parts[0], "permissions": "rwm"}
    if len(parts) == 2:
        return {"source": parts[0], "target": parts[1], "permissions": "rwm"}
    if len(parts) == 3:
        return {"source": parts[0], "target": parts[1], "permissions": parts[2]}
    raise ConfigError(f"confusing device mapping, please use long syntax: {spec}")


def key_value_list(items: Any, *, sep: str = "=", bare=None, what: str = "") -> dict:
    """['A=1', 'B'] or {'A': 1} -> {'A': '1', 'B': bare}; values stringified."""
    from .yamlread import Reset
    out: dict = {}
    if isinstance(items, dict):
        for k, v in items.items():
            out[str(k)] = v if v is None or isinstance(v, Reset) else scalar_str(v)
        return out
    for item in items or []:
        text = scalar_str(item)
        if sep in text:
            k, v = text.split(sep, 1)
            out[k] = v
        else:
            out[text] = bare
    return out


def extra_hosts(items: Any) -> dict:
    """extra_hosts list ('h:ip', 'h=ip') or map -> {host: [ip, ...]}."""
    out: dict = {}
    if isinstance(items, dict):
        for k, v in items.items():
            vals = v if isinstance(v, list) else [v]
            out.setdefault(str(k), []).extend(scalar_str(x) for x in vals)
        return out
    for item in items or []:
        text = scalar_str(item)
        if "=" in text:
            host, ip = text.split("=", 1)
        elif ":" in text:
            host, ip = text.split(":", 1)
        else:
            raise ConfigError(f"invalid additional host, missing IP: {text}")
        ip = ip.strip()
        if ip.startswith("[") and ip.endswith("]"):
            ip = ip[1:-1]
        out.setdefault(host.strip(), []).append(ip)
    return out
