"""Normalise one merged service dict into Docker Compose's printed form (see normalize.py)."""
from __future__ import annotations

from typing import Any, Optional

from compose.errors import ConfigError

from . import normalize as n
from .shortsyntax import scalar_str


class ServiceContext:
    def __init__(self, name: str, base_dir: str, env: dict, *, resolve_paths: bool = True,
                 warn=None, normalize: bool = True) -> None:
        self.name = name
        self.normalize = normalize          # False = --no-normalize (no default dockerfile)
        self.base_dir = base_dir
        self.env = env
        self.resolve_paths = resolve_paths
        self.warn = warn
        self.home = env.get("HOME")

    def where(self, key: str) -> str:
        return f"services.{self.name}.{key}"

    def path(self, p: str) -> str:
        if not self.resolve_paths:
            return p
        return n.abs_path(p, self.base_dir, self.home)


def _str_map(d: Optional[dict]) -> dict:
    return {str(k): (None if v is None else scalar_str(v)) for k, v in (d or {}).items()}


def _healthcheck(hc: dict, ctx: ServiceContext) -> dict:
    out = dict(hc)
    test = out.get("test")
    if isinstance(test, str):
        out["test"] = ["CMD-SHELL", test]
    elif isinstance(test, list):
        out["test"] = [scalar_str(t) for t in test]
    for key in ("interval", "timeout", "start_period", "start_interval"):
        if out.get(key) is not None:
            out[key] = n.to_duration(out[key], ctx.where(f"healthcheck.{key}"))
    if "retries" in out and out["retries"] is not None:
        out["retries"] = n.to_int(out["retries"], ctx.where("healthcheck.retries"))
    if "disable" in out:
        disable = n.to_bool(out["disable"], ctx.where("healthcheck.disable"))
        if disable:
            out["disable"] = True
        else:
            del out["disable"]
    return out


def _build(build: dict, ctx: ServiceContext) -> dict:
    out = dict(build)
    if out.get("dockerfile") and out.get("dockerfile_inline"):
        raise ConfigError(f'service "{ctx.name}" declares mutualy exclusive dockerfile and '
                          "dockerfile_inline: invalid compose project")
    context = scalar_str(out.get("context", "."))
    if not n.is_remote_context(context):
        context = ctx.path(context)
    out["context"] = context
    if "dockerfile" not in out and "dockerfile_inline" not in out and ctx.normalize:
        out["dockerfile"] = "Dockerfile"
    if "args" in out:
        args = {}
        for k, v in out["args"].items():
            if v is None:
                if k in ctx.env:
                    args[k] = ctx.env[k]
                continue
            args[k] = scalar_str(v)
        out["args"] = args
    if "shm_size" in out:
        out["shm_size"] = n.to_bytes(out["shm_size"], ctx.where("build.shm_size"))
    if "labels" in out:
        out["labels"] = _str_map(out["labels"])
    if "additional_contexts" in out and ctx.resolve_paths:
        out["additional_contexts"] = {
            k: (ctx.path(str(v)) if n.is_local_context(str(v)) else v)
            for k, v in out["additional_contexts"].items()}
    for key in ("no_cache", "pull", "privileged"):
        if key in out:
            out[key] = n.to_bool(out[key], ctx.where(f"build.{key}"), ctx.warn)
            if not out[key]:
                del out[key]
    if "secrets" in out:
        out["secrets"] = [_file_ref(s, ctx, secret=False) for s in out["secrets"]]
    if isinstance(out.get("ssh"), (list, dict)):
        out["ssh"] = _ssh_keys(out["ssh"], ctx)
    return out


def _ssh_keys(value, ctx: ServiceContext) -> list:
    """build.ssh (list of ``default`` / ``id=path``, or a mapping) -> canonical list of ``id``
    or ``id=path`` (output.py prints ``id: path``). Like compose-go: a path (also an empty
    one) is resolved like a bind source; a mapping value that is not a string is kept; a list
    entry without ``=`` other than ``default`` is an error."""
    if isinstance(value, dict):
        pairs = [(str(k), v) for k, v in value.items()]
    else:
        pairs = []
        for entry in value:
            text = scalar_str(entry)
            sid, sep, path = text.partition("=")
            if not sep and text != "default":
                raise ConfigError(f'invalid ssh key "{text}"')
            pairs.append((sid, path if sep else None))
    keys = []
    for sid, path in pairs:
        if isinstance(path, str):
            path = ctx.path(path)
        elif path is not None:
            path = scalar_str(path)
        keys.append(f"{sid}={path}" if path else sid)
    return keys


def _file_ref(ref: dict, ctx: ServiceContext, secret: bool) -> dict:
    out = dict(ref)
    if secret and not out.get("target"):
        out["target"] = f"/run/secrets/{out.get('source')}"
    mode = out.get("mode")
    if mode is not None:
        if isinstance(mode, str):
            try:
                mode = int(mode, 8)
            except ValueError:
                raise ConfigError(f"{ctx.where('secrets' if secret else 'configs')}: invalid mode {mode!r}") from None
        out["mode"] = "0" + format(int(mode), "o")
    for key in ("uid", "gid"):
        if key in out and out[key] is not None:
            out[key] = scalar_str(out[key])
    return out


def _volume(vol: dict, ctx: ServiceContext) -> dict:
    out = dict(vol)
    kind = out.get("type", "volume")
    src = out.get("source")
    if kind == "bind" and isinstance(src, str) and src:
        out["source"] = ctx.path(src)
    if "read_only" in out:
        if n.to_bool(out["read_only"], ctx.where("volumes.read_only")):
            out["read_only"] = True
        else:
            del out["read_only"]
    tmpfs = out.get("tmpfs")
    if isinstance(tmpfs, dict):
        tmpfs = dict(tmpfs)
        if "size" in tmpfs:
            tmpfs["size"] = n.to_bytes(tmpfs["size"], ctx.where("volumes.tmpfs.size"))
        if "mode" in tmpfs and isinstance(tmpfs["mode"], str):
            tmpfs["mode"] = int(tmpfs["mode"], 8)
        out["tmpfs"] = tmpfs
    bind = out.get("bind")
    if isinstance(bind, dict):
        bind = dict(bind)
        if "create_host_path" in bind:
            if n.to_bool(bind["create_host_path"], ctx.where("volumes.bind.create_host_path"),
                         ctx.warn):
                bind["create_host_path"] = True
            else:
                del bind["create_host_path"]
        out["bind"] = bind
    return out


def _deploy(deploy: dict, ctx: ServiceContext) -> dict:
    out = dict(deploy)
    res = out.get("resources")
    if isinstance(res, dict):
        res = dict(res)
        for part in ("limits", "reservations"):
            if isinstance(res.get(part), dict):
                r = dict(res[part])
                if "cpus" in r:
                    r["cpus"] = n.to_float(r["cpus"], ctx.where(f"deploy.resources.{part}.cpus"))
                if "memory" in r:
                    r["memory"] = n.to_bytes(r["memory"], ctx.where(f"deploy.resources.{part}.memory"))
                if "pids" in r:
                    r["pids"] = n.to_int(r["pids"], ctx.where(f"deploy.resources.{part}.pids"))
                if "devices" in r:
                    r["devices"] = [_device_request(d) for d in r["devices"] or []]
                res[part] = r
        out["resources"] = res
    rp = out.get("restart_policy")
    if isinstance(rp, dict):
        rp = dict(rp)
        for key in ("delay", "window"):
            if rp.get(key) is not None:
                rp[key] = n.to_duration(rp[key], ctx.where(f"deploy.restart_policy.{key}"))
        out["restart_policy"] = rp
    for key in ("update_config", "rollback_config"):
        if isinstance(out.get(key), dict):
            uc = dict(out[key])
            for d in ("delay", "monitor"):
                if uc.get(d) is not None:
                    uc[d] = n.to_duration(uc[d], ctx.where(f"deploy.{key}.{d}"))
            out[key] = uc
    if "labels" in out:
        from .shortsyntax import key_value_list
        out["labels"] = key_value_list(out["labels"], bare="")
    if "replicas" in out and out["replicas"] is not None:
        out["replicas"] = n.to_int(out["replicas"], ctx.where("deploy.replicas"))
    return out


def _device_request(d: dict) -> dict:
    out = dict(d)
    if "count" in out:
        c = out["count"]
        out["count"] = -1 if str(c) == "all" else int(c)
    elif "device_ids" not in out:
        out["count"] = -1
    return out


def _depends_on(deps: dict, ctx: ServiceContext) -> dict:
    """``restart`` given as a string (the schema allows one) becomes a boolean, with the
    YAML 1.1 warning for ``yes``/``no``/..."""
    out = {}
    for name, dep in deps.items():
        if isinstance(dep, dict) and isinstance(dep.get("restart"), str):
            dep = dict(dep, restart=n.to_bool(dep["restart"], ctx.where(f"depends_on.{name}.restart"),
                                              ctx.warn))
        out[name] = dep
    return out


def normalize_service(svc: dict, ctx: ServiceContext) -> dict:
    """The printed form of one service (after merge/extends; before profile filtering)."""
    out = dict(svc)
    out.pop("extends", None)
    for key in n._BYTES:
        if out.get(key) is not None:
            out[key] = n.to_bytes(out[key], ctx.where(key))
    for key in n._BOOLS:
        if key in out and out[key] is not None:
            out[key] = n.to_bool(out[key], ctx.where(key), ctx.warn)
            if out[key] is False and key not in ("init", "attach"):
                del out[key]
    if isinstance(out.get("depends_on"), dict):
        out["depends_on"] = _depends_on(out["depends_on"], ctx)
    for key in ("command", "entrypoint"):
        if key in out and out[key] is not None:
            out[key] = n.command(out[key])
    for key in ("cpus",):
        if out.get(key) is not None:
            out[key] = n.to_float(out[key], ctx.where(key))
    for key in ("cpu_shares", "cpu_count", "cpu_period", "cpu_quota", "cpu_rt_period",
                "cpu_rt_runtime", "pids_limit", "oom_score_adj", "scale"):
        if out.get(key) is not None:
            out[key] = n.to_int(out[key], ctx.where(key))
    if out.get("stop_grace_period") is not None:
        out["stop_grace_period"] = n.to_duration(out["stop_grace_period"], ctx.where("stop_grace_period"))
    for key in ("labels", "annotations", "sysctls"):
        if key in out:
            out[key] = _str_map(out[key])
    if isinstance(out.get("healthcheck"), dict):
        out["healthcheck"] = _healthcheck(out["healthcheck"], ctx)
    if isinstance(out.get("build"), dict):
        out["build"] = _build(out["build"], ctx)
    if isinstance(out.get("volumes"), list):
        out["volumes"] = [_volume(v, ctx) for v in out["volumes"]]
    if isinstance(out.get("deploy"), dict):
        out["deploy"] = _deploy(out["deploy"], ctx)
    for key, secret in (("secrets", True), ("configs", False)):
        if isinstance(out.get(key), list):
            out[key] = [_file_ref(r, ctx, secret) for r in out[key]]
    for key in ("post_start", "pre_stop"):
        if isinstance(out.get(key), list):
            out[key] = [dict(h, command=n.command(h["command"])) if isinstance(h, dict) and
                        h.get("command") is not None else h for h in out[key]]
    if isinstance(out.get("provider"), dict) and isinstance(out["provider"].get("options"), dict):
        out["provider"] = dict(out["provider"], options={
            k: [scalar_str(x) for x in (v if isinstance(v, list) else [v])]
            for k, v in out["provider"]["options"].items()})
    if isinstance(out.get("gpus"), list):
        out["gpus"] = [_device_request(d) if isinstance(d, dict) else d for d in out["gpus"]]
    if isinstance(out.get("blkio_config"), dict):
        out["blkio_config"] = _blkio(out["blkio_config"], ctx)
    if isinstance(out.get("models"), list):
        out["models"] = {scalar_str(m): None for m in out["models"]}
    if isinstance(out.get("networks"), dict):
        out["networks"] = {k: (dict(v, driver_opts=_str_map(v["driver_opts"]))
                               if isinstance(v, dict) and isinstance(v.get("driver_opts"), dict) else v)
                           for k, v in out["networks"].items()}
    if isinstance(out.get("logging"), dict) and isinstance(out["logging"].get("options"), dict):
        out["logging"] = dict(out["logging"], options=_str_map(out["logging"]["options"]))
    if out.get("pull_policy") == "if_not_present":
        out["pull_policy"] = "missing"
    for key in ("user", "working_dir", "hostname", "domainname", "container_name", "image",
                "restart", "stop_signal", "platform", "network_mode", "ipc", "pid", "cpuset"):
        if out.get(key) is not None and not isinstance(out[key], str):
            out[key] = scalar_str(out[key])
    if isinstance(out.get("ulimits"), dict):
        out["ulimits"] = {k: (n.to_int(v, ctx.where(f"ulimits.{k}")) if not isinstance(v, dict) else
                              {kk: n.to_int(vv, ctx.where(f"ulimits.{k}.{kk}")) for kk, vv in v.items()})
                          for k, v in out["ulimits"].items()}
    _paths(out, ctx)
    return out


def _paths(out: dict, ctx: ServiceContext) -> None:
    if isinstance(out.get("env_file"), list):
        out["env_file"] = [dict(e, path=ctx.path(scalar_str(e["path"]))) for e in out["env_file"]]
    if isinstance(out.get("label_file"), list):
        out["label_file"] = [ctx.path(scalar_str(p)) for p in out["label_file"]]
        _read_label_files(out, ctx)
    dev = out.get("develop")
    if isinstance(dev, dict) and isinstance(dev.get("watch"), list):
        out["develop"] = dict(dev, watch=[_watch_rule(w, ctx) if isinstance(w, dict) else w
                                          for w in dev["watch"]])


def _blkio(cfg: dict, ctx: ServiceContext) -> dict:
    out = dict(cfg)
    for key in ("device_read_bps", "device_write_bps"):
        if isinstance(out.get(key), list):
            out[key] = [dict(d, rate=n.to_bytes(d.get("rate"), ctx.where(f"blkio_config.{key}")))
                        for d in out[key]]
    for key in ("device_read_iops", "device_write_iops"):
        if isinstance(out.get(key), list):
            out[key] = [dict(d, rate=str(n.to_int(d.get("rate"), ctx.where(f"blkio_config.{key}"))))
                        for d in out[key]]
    return out


def _read_label_files(out: dict, ctx: ServiceContext) -> None:
    """label_file entries (dotenv syntax) feed labels; explicit labels win; the key goes away."""
    import os
    from .dotenv import parse_dotenv
    labels: dict = {}
    for path in out.pop("label_file"):
        path = n.abs_path(path, ctx.base_dir, ctx.home)
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except FileNotFoundError:
            raise ConfigError(f"label file {path} not found: stat {path}: no such file or directory") from None
        except (OSError, UnicodeError) as e:
            raise ConfigError(f"failed to read label file {path}: {e}") from None
        labels.update(parse_dotenv(text, file=path, lookup={}))
    labels.update(out.get("labels") or {})
    if labels:
        out["labels"] = labels


def _watch_rule(rule: dict, ctx: ServiceContext) -> dict:
    out = dict(rule, path=ctx.path(scalar_str(rule.get("path", ""))))
    if isinstance(out.get("exec"), dict) and out["exec"].get("command") is not None:
        out["exec"] = dict(out["exec"], command=n.command(out["exec"]["command"]))
    if "initial_sync" in out:
        out["initial_sync"] = n.to_bool(out["initial_sync"], ctx.where("develop.watch.initial_sync"))
    return out
