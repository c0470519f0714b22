"""Bind the canonical project dict (what ``config --format json`` prints) to compose.model."""
from __future__ import annotations

from typing import Any, Mapping

from compose import model as m


def _cmd(value: Any):
    if value is None:
        return None
    if isinstance(value, str):
        import shlex
        return tuple(shlex.split(value))
    return tuple(str(v) for v in value)


def _int(value: Any):
    return None if value is None or value == "" else int(value)


def _str_keys(d: Any) -> dict:
    return {str(k): v for k, v in (d or {}).items()}


_SIMPLE_STR = ("image", "container_name", "hostname", "domainname", "user", "working_dir",
               "restart", "stop_signal", "ipc", "pid", "uts", "cgroup", "cgroup_parent",
               "userns_mode", "platform", "pull_policy", "network_mode", "cpuset", "mac_address",
               "runtime")
_SIMPLE_BOOL = ("privileged", "read_only", "tty", "stdin_open")
_TUPLES = ("expose", "volumes_from", "tmpfs", "links", "external_links", "cap_add", "cap_drop",
           "security_opt", "devices", "dns", "dns_search", "dns_opt", "profiles", "group_add",
           "env_file", "post_start", "pre_stop")
_BYTES = ("mem_limit", "mem_reservation", "memswap_limit", "shm_size")


def bind_service(cls, name: str, d: Mapping) -> "m.Service":
    kw: dict[str, Any] = {"name": name, "raw": dict(d)}
    for key in _SIMPLE_STR:
        if d.get(key) is not None:
            kw[key] = str(d[key])
    for key in _SIMPLE_BOOL:
        kw[key] = bool(d.get(key, False))
    for key in _TUPLES:
        val = d.get(key)
        if isinstance(val, (str, dict)):
            val = [val]
        kw[key] = tuple(val or ())
    for key in _BYTES:
        kw[key] = m.parse_bytes(d.get(key))
    kw["command"] = _cmd(d.get("command"))
    kw["entrypoint"] = _cmd(d.get("entrypoint"))
    kw["environment"] = {k: (None if v is None else str(v)) for k, v in (d.get("environment") or {}).items()}
    kw["ports"] = tuple(m.Port.from_dict(p) for p in d.get("ports") or ())
    kw["volumes"] = tuple(m.ServiceVolume.from_dict(v) for v in d.get("volumes") or ())
    kw["networks"] = {k: m.ServiceNetwork.from_dict(v) for k, v in (d.get("networks") or {}).items()}
    kw["depends_on"] = {k: m.DependsOn.from_dict(v or {}) for k, v in (d.get("depends_on") or {}).items()}
    if d.get("build") is not None:
        kw["build"] = m.Build.from_dict(d["build"])
    if d.get("healthcheck") is not None:
        kw["healthcheck"] = m.Healthcheck.from_dict(d["healthcheck"])
    if d.get("deploy") is not None:
        kw["deploy"] = m.Deploy.from_dict(d["deploy"])
    if d.get("logging") is not None:
        kw["logging"] = m.Logging(d["logging"].get("driver"), dict(d["logging"].get("options") or {}))
    kw["ulimits"] = {k: m.Ulimit.from_value(v) for k, v in (d.get("ulimits") or {}).items()}
    kw["labels"] = _str_keys(d.get("labels"))
    kw["annotations"] = _str_keys(d.get("annotations"))
    kw["sysctls"] = _str_keys(d.get("sysctls"))
    kw["extra_hosts"] = {k: (list(v) if isinstance(v, (list, tuple)) else [v])
                         for k, v in (d.get("extra_hosts") or {}).items()}
    kw["secrets"] = tuple(m.FileReference.from_dict(s) for s in d.get("secrets") or ())
    kw["configs"] = tuple(m.FileReference.from_dict(s) for s in d.get("configs") or ())
    kw["stop_grace_period"] = m.parse_duration(d.get("stop_grace_period"))
    kw["init"] = d.get("init")
    kw["attach"] = d.get("attach")
    cpus = d.get("cpus")
    kw["cpus"] = None if cpus in (None, "") else float(cpus)
    for key in ("cpu_shares", "pids_limit", "oom_score_adj"):
        kw[key] = _int(d.get(key))
    kw["scale_value"] = _int(d.get("scale"))
    dev = d.get("develop")
    if dev is not None:
        kw["develop"] = m.Develop(tuple(m.WatchRule.from_dict(w) for w in dev.get("watch") or ()))
    return cls(**kw)


def _file_object(cls, key: str, d: Mapping):
    return cls(key=key, name=str(d.get("name") or key), file=d.get("file"),
               environment=d.get("environment"), content=d.get("content"),
               external=bool(d.get("external", False)), labels=_str_keys(d.get("labels")),
               driver=d.get("driver"), driver_opts=dict(d.get("driver_opts") or {}),
               template_driver=d.get("template_driver"), raw=dict(d))


def _network(key: str, d: Mapping) -> "m.Network":
    d = d or {}
    ipam = d.get("ipam") or {}
    return m.Network(key=key, name=str(d.get("name") or key), driver=d.get("driver"),
                     driver_opts=dict(d.get("driver_opts") or {}),
                     ipam=m.Ipam(ipam.get("driver"), tuple(ipam.get("config") or ()),
                                 dict(ipam.get("options") or {})),
                     external=bool(d.get("external", False)), internal=bool(d.get("internal", False)),
                     attachable=bool(d.get("attachable", False)), enable_ipv4=d.get("enable_ipv4"),
                     enable_ipv6=d.get("enable_ipv6"), labels=_str_keys(d.get("labels")), raw=dict(d))


def _volume(key: str, d: Mapping) -> "m.Volume":
    d = d or {}
    return m.Volume(key=key, name=str(d.get("name") or key), driver=d.get("driver"),
                    driver_opts=dict(d.get("driver_opts") or {}), external=bool(d.get("external", False)),
                    labels=_str_keys(d.get("labels")), raw=dict(d))


def bind_project(cls, d: Mapping, *, working_dir: str = "", config_files=(), environment=None,
                 profiles=(), disabled: Mapping | None = None, env_files=(),
                 hash_sources: Mapping | None = None) -> "m.Project":
    from engine import records as dataclasses  # replace() without importing dataclasses
    services = {k: m.Service.from_dict(k, v) for k, v in (d.get("services") or {}).items()}
    for k, src in (hash_sources or {}).items():
        if k in services:
            services[k] = dataclasses.replace(services[k], hash_source=src)
    return cls(
        name=str(d.get("name", "")), working_dir=working_dir, config_files=tuple(config_files),
        services=services,
        networks={k: _network(k, v) for k, v in (d.get("networks") or {}).items()},
        volumes={k: _volume(k, v) for k, v in (d.get("volumes") or {}).items()},
        secrets={k: _file_object(m.Secret, k, v or {}) for k, v in (d.get("secrets") or {}).items()},
        configs={k: _file_object(m.Config, k, v or {}) for k, v in (d.get("configs") or {}).items()},
        environment=dict(environment or {}), profiles=tuple(profiles),
        extensions={k: v for k, v in d.items() if str(k).startswith("x-")}, config_dict=dict(d),
        disabled_services={k: m.Service.from_dict(k, v) for k, v in (disabled or {}).items()},
        env_files=tuple(env_files))
