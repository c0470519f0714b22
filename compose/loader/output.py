"""Render the canonical dict exactly as ``docker compose config`` prints it (YAML or JSON).

Key order: Go structs keep their field order (tables below), Go maps are sorted. YAML scalars
follow go-yaml v3: strings that would read back as another type are double-quoted, multi-line
strings use literal style, the emitter (libyaml rules, which go-yaml ports) picks plain or
single quotes otherwise; 2-space indent with indented sequences. ``$`` in strings is printed
as ``$$`` so the output can be loaded again. JSON adds the Go marshalling quirks (``command``/
``entrypoint`` null, ``ipam: {}``, ``deploy.resources/placement: {}``) and drops x- keys
below the top level.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

SERVICE = (
    "profiles annotations attach build develop blkio_config cap_add cap_drop cgroup_parent cgroup "
    "cpu_count cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpus cpuset cpu_shares "
    "command configs container_name credential_spec depends_on deploy device_cgroup_rules devices "
    "dns dns_opt dns_search dockerfile domainname entrypoint provider environment env_file expose "
    "extends external_links extra_hosts group_add gpus hostname healthcheck image init ipc isolation "
    "labels label_file links logging log_driver log_opt mem_limit mem_reservation memswap_limit "
    "mem_swappiness mac_address models net network_mode networks oom_kill_disable oom_score_adj pid "
    "pids_limit platform ports privileged pull_policy read_only restart runtime scale secrets "
    "security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs tty "
    "ulimits use_api_socket user userns_mode uts volume_driver volumes volumes_from working_dir "
    "post_start pre_stop").split()
BUILD = ("context dockerfile dockerfile_inline entitlements args provenance sbom ssh labels "
         "cache_from cache_to no_cache additional_contexts pull extra_hosts isolation network "
         "target secrets shm_size tags ulimits platforms privileged").split()
STRUCTS = {
    "service": SERVICE,
    "build": BUILD,
    "healthcheck": "test timeout interval retries start_period start_interval disable".split(),
    "deploy": ("mode replicas labels update_config rollback_config resources restart_policy "
               "placement endpoint_mode").split(),
    "update_config": "parallelism delay failure_action monitor max_failure_ratio order".split(),
    "resources": ["limits", "reservations"],
    "resource": "cpus memory pids devices generic_resources".split(),
    "device_request": "capabilities driver count device_ids options".split(),
    "restart_policy": "condition delay max_attempts window".split(),
    "placement": "constraints preferences max_replicas_per_node".split(),
    "logging": ["driver", "options"],
    "port": "name mode host_ip target published protocol app_protocol".split(),
    "svc_volume": "type source target read_only consistency bind volume tmpfs image".split(),
    "bind": "selinux propagation create_host_path recursive".split(),
    "volume_opts": "labels nocopy subpath".split(),
    "tmpfs": ["size", "mode"],
    "svc_network": ("aliases driver_opts gw_priority interface_name ipv4_address ipv6_address "
                    "link_local_ips mac_address priority").split(),
    "file_ref": "source target uid gid mode".split(),
    "depends": ["condition", "restart", "required"],
    "device": ["source", "target", "permissions"],
    "ulimit": ["soft", "hard"],
    "env_file": ["path", "required", "format"],
    "network": ("name driver driver_opts ipam external internal attachable labels enable_ipv4 "
                "enable_ipv6").split(),
    "ipam": ["driver", "config", "options"],
    "ipam_pool": ["subnet", "gateway", "ip_range", "aux_addresses"],
    "volume": "name driver driver_opts external labels".split(),
    "file_object": ("name file environment content external labels driver driver_opts "
                    "template_driver").split(),
    "develop": ["watch"],
    "watch": "path action target exec include ignore initial_sync".split(),
    "hook": "command user privileged working_dir environment".split(),
    "extends": ["file", "service"],
    "project": "name services networks volumes secrets configs models".split(),
    "blkio": ("weight weight_device device_read_bps device_read_iops device_write_bps "
              "device_write_iops").split(),
    "weight_device": ["path", "weight"],
    "throttle": ["path", "rate"],
    "provider": ["type", "options"],
}
# child struct kinds: (parent kind, key) -> kind; "{}" suffix = map of that kind, "[]" = list
CHILDREN = {
    ("project", "services"): "service{}", ("project", "networks"): "network{}",
    ("project", "volumes"): "volume{}", ("project", "secrets"): "file_object{}",
    ("project", "configs"): "file_object{}",
    ("service", "build"): "build", ("service", "healthcheck"): "healthcheck",
    ("service", "deploy"): "deploy", ("service", "logging"): "logging",
    ("service", "ports"): "port[]", ("service", "volumes"): "svc_volume[]",
    ("service", "networks"): "svc_network{}", ("service", "secrets"): "file_ref[]",
    ("service", "configs"): "file_ref[]", ("service", "depends_on"): "depends{}",
    ("service", "devices"): "device[]", ("service", "ulimits"): "ulimit{}",
    ("service", "env_file"): "env_file[]", ("service", "develop"): "develop",
    ("service", "post_start"): "hook[]", ("service", "pre_stop"): "hook[]",
    ("service", "extends"): "extends",
    ("build", "secrets"): "file_ref[]", ("build", "ulimits"): "ulimit{}",
    ("deploy", "resources"): "resources", ("deploy", "restart_policy"): "restart_policy",
    ("deploy", "update_config"): "update_config", ("deploy", "rollback_config"): "update_config",
    ("deploy", "placement"): "placement",
    ("resources", "limits"): "resource", ("resources", "reservations"): "resource",
    ("resource", "devices"): "device_request[]",
    ("svc_volume", "bind"): "bind", ("svc_volume", "volume"): "volume_opts",
    ("svc_volume", "tmpfs"): "tmpfs",
    ("network", "ipam"): "ipam", ("ipam", "config"): "ipam_pool[]",
    ("develop", "watch"): "watch[]", ("watch", "exec"): "hook",
    ("service", "blkio_config"): "blkio", ("service", "gpus"): "device_request[]",
    ("blkio", "weight_device"): "weight_device[]", ("blkio", "device_read_bps"): "throttle[]",
    ("blkio", "device_read_iops"): "throttle[]", ("blkio", "device_write_bps"): "throttle[]",
    ("blkio", "device_write_iops"): "throttle[]", ("service", "provider"): "provider",
}
_JSON_ALWAYS = {"service": {"command": None, "entrypoint": None},
                "network": {"ipam": {}}, "deploy": {"resources": {}, "placement": {}},
                "watch": {"exec": {"command": None}}, "hook": {"command": None}}


_NATURAL: dict = {}


def _natural_key(key: Any):
    text = str(key)
    found = _NATURAL.get(text)
    if found is None:
        parts = re.split(r"(\d+)", text)
        found = _NATURAL[text] = [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts]
    return found


def _esc(value: Any) -> Any:
    """``$`` -> ``$$`` in a string (how Docker Compose prints interpolated values)."""
    return value.replace("$", "$$") if value.__class__ is str and "$" in value else value


def shape(value: Any, kind: str | None, fmt: str, top: bool = False, esc: bool = False) -> Any:
    """Order keys (and apply JSON quirks) for ``value`` of struct ``kind`` (None = plain map);
    with ``esc`` every string key and value also gets its ``$`` doubled (one pass for both)."""
    if kind and kind.endswith("[]"):
        return [shape(v, kind[:-2], fmt, esc=esc) for v in value] if isinstance(value, list) \
            else (_esc(value) if esc else value)
    if kind and kind.endswith("{}"):
        if not isinstance(value, dict):
            return _esc(value) if esc else value
        keys = sorted(value, key=_natural_key if fmt == "yaml" else str)
        sub = kind[:-2]
        if esc:
            return {_esc(k): shape(value[k], sub, fmt, esc=True) for k in keys}
        return {k: shape(value[k], sub, fmt) for k in keys}
    if not isinstance(value, dict):
        if isinstance(value, list):
            return [shape(v, None, fmt, esc=esc) for v in value]
        return _esc(value) if esc else value
    if kind is None:
        keys = sorted(value, key=_natural_key if fmt == "yaml" else str)
        if esc:
            return {_esc(k): shape(value[k], None, fmt, esc=True) for k in keys}
        return {k: shape(value[k], None, fmt) for k in keys}
    return _shape_struct(value, kind, fmt, esc)


def _shape_struct(value: dict, kind: str, fmt: str, esc: bool) -> dict:
    order = STRUCTS[kind]
    if fmt == "json" and kind in _JSON_ALWAYS:
        value = dict(value)
        for k, v in _JSON_ALWAYS[kind].items():
            value.setdefault(k, v)
    out = {}
    for k in order:
        if k in value:
            child = CHILDREN.get((kind, k))
            v = value[k]
            if _omitted(kind, k, v, child):
                continue
            out[k] = shape(v, child, fmt, esc=esc)
    known = _KNOWN.get(kind)
    if known is None:
        known = _KNOWN[kind] = frozenset(order)
    if len(out) < len(value):
        for k in sorted(k for k in value if k not in known):
            if fmt == "json" and kind != "project" and str(k).startswith("x-"):
                continue
            out[_esc(k) if esc else k] = shape(value[k], None, fmt, esc=esc)
    if kind in ("service", "build") and isinstance(out.get("ulimits"), dict):
        out["ulimits"] = {k: (({"soft": 0, "hard": 0} if fmt == "yaml" else {}) if v == 0 else v)
                          for k, v in out["ulimits"].items()}
    if fmt == "json" and kind == "ulimit":        # JSON omitempty drops 0 (YAML keeps it)
        out = {k: v for k, v in out.items() if v != 0}
    if fmt == "json" and kind in ("weight_device", "throttle"):
        out = {k.capitalize(): v for k, v in out.items()}
    if kind == "service" and "extra_hosts" in out and isinstance(out["extra_hosts"], dict):
        out["extra_hosts"] = [f"{h}={ip}" for h, ips in out["extra_hosts"].items() for ip in ips]
    if kind == "build" and fmt == "yaml" and isinstance(out.get("ssh"), list):
        out["ssh"] = [ssh_key_text(key) for key in out["ssh"]]
    if kind == "build" and isinstance(out.get("extra_hosts"), dict):
        out["extra_hosts"] = [f"{h}={ip}" for h, ips in out["extra_hosts"].items() for ip in ips]
    return out


_KNOWN: dict = {}
_POINTER_NUMBERS = {("service", "scale"), ("deploy", "replicas"), ("update_config", "parallelism"),
                    ("restart_policy", "max_attempts")}
_BYTE_FIELDS = {"mem_limit", "mem_reservation", "memswap_limit", "shm_size", "mem_swappiness"}
_POINTER_BOOLS = {("service", "init"), ("service", "attach"), ("network", "enable_ipv4"),
                  ("network", "enable_ipv6")}
_KEEP_EMPTY = {("project", "services"), ("env_file", "required"), ("service", "command"), ("service", "entrypoint"), ("depends", "required"),
               ("hook", "command")}


def _omitted(kind: str, key: str, value: Any, child: str | None) -> bool:
    """Go's omitempty: empty maps/slices, "" and nil are left out (pointers to structs stay)."""
    if (kind, key) in _KEEP_EMPTY:
        return False
    if value is None or value == "":
        return True
    if value is False and (kind, key) not in _POINTER_BOOLS:
        return True
    if (isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0
            and (kind, key) not in _POINTER_NUMBERS and kind != "ulimit"):
        return True
    if value == "0" and kind == "service" and key in _BYTE_FIELDS:
        return True
    if isinstance(value, (list, dict)) and not value:
        return child is None or child.endswith("[]") or child.endswith("{}")
    return False


def escape_dollars(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {(k.replace("$", "$$") if isinstance(k, str) else k): escape_dollars(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [escape_dollars(v) for v in value]
    return value


def ssh_key_text(key: Any) -> Any:
    """A canonical build.ssh entry (``id`` or ``id=path``) as compose-go's SSHKey prints in
    YAML: ``id`` or ``id: path``."""
    if key.__class__ is str and "=" in key:
        sid, _, path = key.partition("=")
        return f"{sid}: {path}"
    return key


def _check_json_ssh(config: dict) -> None:
    """compose-go's SSHKey.MarshalJSON writes ``"id": path`` (not JSON) for a key with a path,
    so Docker Compose's ``config --format json`` fails on it; pycompose fails the same way."""
    from compose.errors import ConfigError
    for service in (config.get("services") or {}).values():
        build = service.get("build") if isinstance(service, dict) else None
        ssh = build.get("ssh") if isinstance(build, dict) else None
        if isinstance(ssh, list) and any(k.__class__ is str and "=" in k for k in ssh):
            raise ConfigError("json: error calling MarshalJSON for type types.SSHKey: "
                              "invalid character ':' after top-level value")


def to_json(config: dict, *, escape: bool = True) -> str:
    _check_json_ssh(config)
    data = shape(config, "project", "json", esc=escape)
    data = {k: data[k] for k in sorted(data) if k != "models"}
    return _go_json(_json_safe(data))


_GO_HTML_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def _go_json(data: Any) -> str:
    """Go's json.MarshalIndent(data, "", "  "): HTML characters and U+2028/9 escaped, no
    final newline."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    for char, escaped in _GO_HTML_ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    return text


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e21:
            return int(value)               # Go's encoding/json prints 1.0 as 1
        return value
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def to_yaml(config: dict, *, escape: bool = True) -> str:
    from .yamlout import dump
    data = shape(config, "project", "yaml", esc=escape)
    return dump(data)


def to_plain_json(config: dict) -> str:
    return _go_json(_json_safe(shape(config, None, "json")))


def to_plain_yaml(config: dict) -> str:
    from .yamlout import dump
    return dump(shape(config, None, "yaml"))
