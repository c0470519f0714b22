"""Project-level normalisation after merge: services, environment, profiles, names, checks."""
from __future__ import annotations

import os

from compose.errors import ConfigError

from .loaded import LoadedConfig
from .service_norm import ServiceContext, normalize_service
from .shortsyntax import scalar_str

_NS_KEYS = ("network_mode", "ipc", "pid", "uts", "cgroup")


def _implicit_depends(svc: dict) -> None:
    deps = svc.get("depends_on")
    deps = dict(deps) if isinstance(deps, dict) else {}
    added = {}
    for link in svc.get("links") or []:
        added.setdefault(str(link).split(":", 1)[0], True)
    for key in _NS_KEYS:
        mode = svc.get(key)
        if isinstance(mode, str) and mode.startswith("service:"):
            added.setdefault(mode[len("service:"):], True)
    for vf in svc.get("volumes_from") or []:
        vf = str(vf)
        if not vf.startswith("container:"):
            added.setdefault(vf.split(":", 1)[0], False)
    for name, restart in added.items():
        if name not in deps:
            dep = {"condition": "service_started"}
            if restart:
                dep["restart"] = True
            dep["required"] = True
            deps[name] = dep
    if deps:
        svc["depends_on"] = deps


def _resolve_environment(svc: dict, env: dict, opts) -> None:
    from .dotenv import read_env_file
    values: dict = {}
    lookup = {k: v for k, v in (svc.get("environment") or {}).items() if v is not None}
    lookup.update(env)
    for entry in svc.get("env_file") or []:
        path = str(entry.get("path"))
        raw = entry.get("format") == "raw"
        values.update(read_env_file(path, lookup=lookup, required=bool(entry.get("required", True)),
                                    raw=raw))
    environment = dict(values)
    for key, value in (svc.get("environment") or {}).items():
        environment[key] = value
    for key, value in list(environment.items()):
        if value is None and key in env:
            environment[key] = env[key]
    svc.pop("env_file", None)
    if environment:
        svc["environment"] = environment
    else:
        svc.pop("environment", None)


def _hash_source(svc: dict, env: dict) -> dict:
    """The service as Docker Compose hashes it: env_file kept, bare variables resolved."""
    out = dict(svc)
    if isinstance(out.get("environment"), dict):
        out["environment"] = {k: (env.get(k) if v is None and k in env else v)
                              for k, v in out["environment"].items()}
    if isinstance(out.get("env_file"), list):
        out["env_file"] = [e["path"] if e.get("required", True) and not e.get("format") else
                           dict(e, required=bool(e.get("required", True)))
                           for e in out["env_file"]]
    return out


def _active_profiles(profiles: list, services: dict, named: list) -> set:
    active = set(profiles)
    for name in named:
        svc = services.get(name)
        if isinstance(svc, dict):
            active.update(svc.get("profiles") or [])
    return active


def _is_active(svc: dict, active: set) -> bool:
    profiles = svc.get("profiles") or []
    return not profiles or "*" in active or bool(active.intersection(profiles))


def split_by_profiles(services: dict, profiles: list, named: list) -> tuple:
    for name in named:
        if name not in services:
            raise ConfigError(f"no such service: {name}")
    active = _active_profiles(profiles, services, named)
    enabled = {k: v for k, v in services.items() if _is_active(v, active) or k in named}
    disabled = {k: v for k, v in services.items() if k not in enabled}
    for name, svc in enabled.items():
        deps = svc.get("depends_on") or {}
        for dep, info in list(deps.items()):
            if dep in disabled:
                if info.get("required", True):
                    profs = disabled[dep].get("profiles") or []
                    raise ConfigError(f'service "{dep}" is required by "{name}" but is disabled. '
                                      f"Can be enabled by profiles {profs}")
    return enabled, disabled, sorted(active)


def _closure(services: dict, named: list) -> dict:
    wanted, todo = set(), list(named)
    while todo:
        name = todo.pop()
        if name in wanted or name not in services:
            continue
        wanted.add(name)
        todo.extend((services[name].get("depends_on") or {}).keys())
    return {k: v for k, v in services.items() if k in wanted}


def _default_networks(services: dict, networks: dict) -> dict:
    networks = dict(networks)
    for svc in services.values():
        if not svc.get("networks") and not svc.get("network_mode") and not svc.get("provider"):
            svc["networks"] = {"default": None}
        if "default" in (svc.get("networks") or {}) and "default" not in networks:
            networks["default"] = {}
    return networks


def _names(section: dict, project: str) -> dict:
    out = {}
    for key, value in section.items():
        value = dict(value) if isinstance(value, dict) else {}
        if value.get("external"):
            value["external"] = True
            value.setdefault("name", key)
        else:
            value.pop("external", None)
            value.setdefault("name", f"{project}_{key}")
        value["name"] = scalar_str(value["name"])
        if isinstance(value.get("driver_opts"), dict):
            value["driver_opts"] = {str(k): scalar_str(v) for k, v in value["driver_opts"].items()}
        if "labels" in value:
            from .shortsyntax import key_value_list
            value["labels"] = key_value_list(value["labels"], bare="")
        out[key] = value
    return out


def _used(services: dict) -> tuple:
    nets, vols, secrets, configs = set(), set(), set(), set()
    for svc in services.values():
        nets.update((svc.get("networks") or {}).keys())
        for v in svc.get("volumes") or []:
            if v.get("type") == "volume" and v.get("source"):
                vols.add(v["source"])
        secrets.update(s.get("source") for s in svc.get("secrets") or [])
        build = svc.get("build") or {}
        secrets.update(s.get("source") for s in build.get("secrets") or [])
        configs.update(c.get("source") for c in svc.get("configs") or [])
    return nets, vols, secrets, configs


def finish(merged: dict, *, name: str, ctx, opts, env: dict, interp) -> LoadedConfig:
    """The project after merge: normalised services, profiles, names, checks (not bound)."""
    from .checks import check_project
    services_in = merged.get("services") or {}
    if not isinstance(services_in, dict):
        services_in = {}
    if not opts.interpolate:
        return _raw_model(merged, name=name, ctx=ctx, opts=opts, env=env)
    services, hash_sources = {}, {}
    for sname, svc in services_in.items():
        svc = dict(svc or {})
        sctx = ServiceContext(sname, ctx.project_dir, env, resolve_paths=opts.resolve_paths,
                              warn=opts.warn, normalize=opts.normalize)
        svc = normalize_service(svc, sctx)
        if opts.normalize:
            _implicit_depends(svc)
        hash_sources[sname] = dict(svc)
        if opts.resolve_env_files:
            _resolve_environment(svc, env, opts)
        services[sname] = svc
    enabled, disabled, active = split_by_profiles(services, ctx.profiles, list(opts.services))
    unselected = {}
    if opts.services:         # like compose-go's WithSelectedServices: the rest is disabled,
        selected = _closure(enabled, list(opts.services))   # so it is no orphan
        unselected = {k: v for k, v in enabled.items() if k not in selected}
        enabled = selected
    networks = merged.get("networks") or {}
    if opts.normalize:
        networks = _default_networks(enabled, networks)
    hash_sources = {k: _hash_source(dict(hash_sources[k], **({"networks": v["networks"]} if "networks" in v
                                                             else {})), env)
                    for k, v in enabled.items()}
    top = {"networks": networks, "volumes": merged.get("volumes") or {},
           "secrets": merged.get("secrets") or {}, "configs": merged.get("configs") or {}}
    if opts.consistency:
        check_project(enabled, dict(top, models=merged.get("models") or {}), disabled)
    if opts.normalize:
        top = {k: _names(v, name) for k, v in top.items()}
    if opts.drop_unused_resources:
        used = dict(zip(("networks", "volumes", "secrets", "configs"), _used(enabled)))
        top = {k: {n: v for n, v in sec.items() if n in used[k]} for k, sec in top.items()}
    config = {"name": name, "services": enabled}
    for key in ("networks", "volumes", "secrets", "configs"):
        if top[key]:
            config[key] = top[key]
    for key in ("models",):
        if merged.get(key):
            config[key] = merged[key]
    for key, value in merged.items():
        if isinstance(key, str) and key.startswith("x-"):
            config[key] = value
    return LoadedConfig(name=name, config=config, working_dir=ctx.project_dir,
                        config_files=ctx.files, environment=env, profiles=active,
                        env_files=ctx.env_files, disabled={**disabled, **unselected},
                        hash_sources=hash_sources)


def _raw_model(merged: dict, *, name: str, ctx, opts, env: dict) -> LoadedConfig:
    """``--no-interpolate``: Docker Compose prints the merged map nearly as written (no type
    coercion, no profile filtering, nothing dropped) plus names, default network, paths."""
    services = {}
    for sname, svc in (merged.get("services") or {}).items():
        svc = dict(svc or {})
        svc.pop("extends", None)
        build = svc.get("build")
        if isinstance(build, dict) and "dockerfile" not in build and "dockerfile_inline" not in build \
                and opts.normalize:
            svc["build"] = dict(build, dockerfile="Dockerfile")
        if isinstance(svc.get("secrets"), list):
            svc["secrets"] = [dict(s, target=f"/run/secrets/{s['source']}")
                              if isinstance(s, dict) and not s.get("target") and s.get("source")
                              else s for s in svc["secrets"]]
        if opts.normalize:
            _implicit_depends(svc)
        services[sname] = svc
    networks = _default_networks(services, merged.get("networks") or {}) if opts.normalize \
        else merged.get("networks") or {}
    config = {k: v for k, v in merged.items() if k not in ("services", "networks", "include")}
    config.update(name=name, services=services)
    if not opts.normalize and "name" not in merged:
        del config["name"]                    # --no-normalize: only a name the files give
    if networks:
        config["networks"] = networks
    for key in ("networks", "volumes", "secrets", "configs"):
        if isinstance(config.get(key), dict) and opts.normalize:
            config[key] = {k: dict(v or {}, name=(v or {}).get("name") or
                                   (k if (v or {}).get("external") else f"{name}_{k}"))
                           for k, v in config[key].items()}
    return LoadedConfig(name=name, config=config, working_dir=ctx.project_dir,
                        config_files=ctx.files, environment=env, profiles=ctx.profiles,
                        env_files=ctx.env_files, raw=True)
