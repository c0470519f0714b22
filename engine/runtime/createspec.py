"""``create``: validate a ContainerSpec against its image and resolve it the way Docker does,
before anything is written (bad input leaves nothing behind)."""
from __future__ import annotations

import os
import time

from engine.cgroups.limits import from_resources
from engine.errors import InvalidArgument
from engine.types import ContainerSpec, Healthcheck, ImageInfo

from . import caps as capmod
from .logfile import parse_size
from .plan import (check_sysctls, check_ulimits, process_section, resolve_argv, resolve_env,
                   security_options)
from .serial import to_dict

RESTART_NAMES = ("no", "always", "on-failure", "unless-stopped")
LOG_DRIVERS = ("json-file", "local", "none")


def merge_healthcheck(spec_hc: Healthcheck | None, image_hc: Healthcheck | None) -> dict | None:
    """Docker: the container's healthcheck overrides the image's field by field (0 = inherit)."""
    hc = spec_hc or image_hc
    if hc is None or hc.disable:
        return None
    if spec_hc is not None and image_hc is not None:
        hc = Healthcheck(test=spec_hc.test or image_hc.test,
                         interval=spec_hc.interval or image_hc.interval,
                         timeout=spec_hc.timeout or image_hc.timeout,
                         retries=spec_hc.retries or image_hc.retries,
                         start_period=spec_hc.start_period or image_hc.start_period,
                         start_interval=spec_hc.start_interval or image_hc.start_interval)
    test = list(hc.test)
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD":
        argv = test[1:]
    elif test[0] == "CMD-SHELL":
        argv = ["/bin/sh", "-c", " ".join(test[1:])]
    else:
        argv = test
    if not argv:
        raise InvalidArgument("healthcheck test has no command")
    return {"argv": argv, "interval": hc.interval or 30.0, "timeout": hc.timeout or 30.0,
            "retries": hc.retries or 3, "start_period": hc.start_period or 0.0,
            "start_interval": hc.start_interval or 5.0}


def log_options(spec: ContainerSpec) -> dict:
    lc = spec.log_config
    driver = lc.driver or "json-file"
    if driver not in LOG_DRIVERS:
        raise InvalidArgument(f"logging driver {driver!r} is not supported "
                              f"(supported: {', '.join(LOG_DRIVERS)})")
    try:
        max_size = parse_size(lc.options.get("max-size"))
        max_file = int(lc.options.get("max-file", 1))
    except ValueError:
        raise InvalidArgument(f"invalid log options: {lc.options}") from None
    if max_file < 1:
        raise InvalidArgument("max-file cannot be less than 1")
    return {"driver": driver, "max_size": max_size, "max_file": max_file}


def restart_policy(spec: ContainerSpec) -> dict:
    rp = spec.restart_policy
    if rp.name not in RESTART_NAMES:
        raise InvalidArgument(f"invalid restart policy {rp.name!r}")
    if rp.max_retries and rp.name != "on-failure":
        raise InvalidArgument(f"maximum retry count cannot be used with restart policy "
                              f"'{rp.name}'")
    return {"name": rp.name, "max_retries": rp.max_retries}


def device_rules(devices) -> list[tuple]:
    rules = []
    for d in devices:
        try:
            st = os.stat(d.host_path)
        except OSError:
            raise InvalidArgument(f"error gathering device information while adding custom "
                                  f"device {d.host_path!r}: no such file or directory") from None
        kind = "b" if (st.st_mode & 0o170000) == 0o060000 else "c"
        rules.append((kind, os.major(st.st_rdev), os.minor(st.st_rdev), d.permissions or "rwm"))
    return rules


def resolve_create(cid: str, spec: ContainerSpec, image: ImageInfo) -> dict:
    conf = image.config
    argv = resolve_argv(spec.entrypoint, spec.command, conf)
    if not argv:
        raise InvalidArgument("No command specified")
    hostname = spec.hostname or (os.uname().nodename if spec.network_mode == "host"
                                 else cid[:12])
    env = resolve_env(conf.env, spec.env, hostname, spec.tty)
    workdir = spec.working_dir or conf.working_dir or "/"
    if not workdir.startswith("/"):
        raise InvalidArgument(f"the working directory '{workdir}' is invalid, it needs to "
                              f"be an absolute path")
    capmod.effective_caps(spec.cap_add, spec.cap_drop, spec.privileged)   # validates names
    security_options(spec.security_opt)
    limits = from_resources(spec.resources, privileged=spec.privileged,
                            devices=device_rules(spec.devices))
    process = process_section(argv, env, spec.user or conf.user, spec.group_add, workdir,
                              spec.cap_add, spec.cap_drop, spec.privileged, spec.security_opt)
    stop_timeout = 10.0 if spec.stop_timeout is None else float(spec.stop_timeout)
    return {
        "id": cid, "image": spec.image, "image_id": image.id,
        "created": _utc_now(),
        "spec": to_dict(spec), "hostname": hostname, "process": process,
        "limits": {k: (list(map(list, v)) if k == "devices" else v)
                   for k, v in limits.items()},
        "sysctls": check_sysctls(spec.sysctls, spec.network_mode, spec.ipc_mode),
        "ulimits": check_ulimits(spec.ulimits),
        "stop_signal": spec.stop_signal or conf.stop_signal or "SIGTERM",
        "stop_timeout": stop_timeout,
        "healthcheck": merge_healthcheck(spec.healthcheck, conf.healthcheck),
        "restart": restart_policy(spec), "log": log_options(spec),
    }


def _utc_now() -> str:
    """RFC 3339 UTC with microseconds, like datetime.isoformat (no datetime import)."""
    now = time.time()
    secs = int(now)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{int((now - secs) * 1e6):06d}Z"
