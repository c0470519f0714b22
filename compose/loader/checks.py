"""Semantic checks compose-go enforces on a loaded project (BEHAVIOUR.md §5.15).

Messages follow Docker Compose's wording (``... : invalid compose project``) so that users
coming from it recognise them.
"""
from __future__ import annotations

from compose.errors import ConfigError, Issue

INVALID = "invalid compose project"


def _err(msg: str, path: str = "") -> Issue:
    return Issue(f"{msg}: {INVALID}" if not msg.endswith(INVALID) else msg, path=path)


def _references(name: str, svc: dict, top: dict) -> list:
    issues = []
    for model in (svc.get("models") or {}):
        if model not in (top.get("models") or {}):
            issues.append(_err(f'service "{name}" refers to undefined model {model}', f"services.{name}.models"))
    for net in (svc.get("networks") or {}):
        if net not in top["networks"] and net != "default":
            issues.append(_err(f'service "{name}" refers to undefined network {net}',
                               f"services.{name}.networks"))
    for vol in svc.get("volumes") or []:
        if vol.get("type") == "volume" and vol.get("source") and vol["source"] not in top["volumes"]:
            issues.append(_err(f'service "{name}" refers to undefined volume {vol["source"]}',
                               f"services.{name}.volumes"))
    for kind in ("secrets", "configs"):
        for ref in svc.get(kind) or []:
            if ref.get("source") not in top[kind]:
                issues.append(_err(f'service "{name}" refers to undefined {kind[:-1]} {ref.get("source")}',
                                   f"services.{name}.{kind}"))
    for ref in (svc.get("build") or {}).get("secrets") or []:
        if ref.get("source") not in top["secrets"]:
            issues.append(_err(f'service "{name}" refers to undefined build secret {ref.get("source")}',
                               f"services.{name}.build.secrets"))
    return issues


def _service_rules(name: str, svc: dict, services: dict) -> list:
    issues = []
    where = f"services.{name}"
    build = svc.get("build")
    if not svc.get("image") and build is None and not svc.get("provider"):
        issues.append(_err(f'service "{name}" has neither an image nor a build context specified', where))
    if isinstance(build, dict) and build.get("dockerfile") and build.get("dockerfile_inline") \
            and build.get("dockerfile") != "Dockerfile":
        issues.append(_err(f"service {name!r} declares mutualy exclusive dockerfile and dockerfile_inline",
                           f"{where}.build"))
    if svc.get("network_mode") and svc.get("networks"):
        issues.append(_err(f"service {name} declares mutually exclusive `network_mode` and `networks`", where))
    for dep in (svc.get("depends_on") or {}):
        if dep not in services:
            issues.append(_err(f'service "{name}" depends on undefined service "{dep}"', f"{where}.depends_on"))
    hc = svc.get("healthcheck") or {}
    test = hc.get("test")
    if isinstance(test, list) and test and test[0] not in ("CMD", "CMD-SHELL", "NONE"):
        issues.append(_err(f"healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or \"NONE\", "
                           f"got {test[0]!r}", f"{where}.healthcheck.test"))
    deploy = svc.get("deploy") or {}
    scale = svc.get("scale")
    if scale is not None and scale < 0:
        issues.append(Issue(f"services.{name}.scale: must be greater than or equal to 0", path=f"{where}.scale"))
    platforms = (build or {}).get("platforms") if isinstance(build, dict) else None
    if svc.get("platform") and platforms and svc["platform"] not in platforms:
        issues.append(_err(f'service.build.platforms MUST include service.platform "{svc["platform"]}"', where))
    for ctx_name, ctx_value in ((build or {}).get("additional_contexts") or {}).items() \
            if isinstance(build, dict) else ():
        if str(ctx_value).startswith("service:"):
            target = str(ctx_value)[len("service:"):]
            if target not in services:
                issues.append(Issue(f'service "{name}" declares unknown service "{target}" as additional '
                                    f"contexts {ctx_name}", path=f"{where}.build.additional_contexts"))
            elif services[target].get("build") is None:
                issues.append(Issue(f'service "{name}" declares non-buildable service "{target}" as '
                                    f"additional contexts {ctx_name}", path=f"{where}.build.additional_contexts"))
    if scale is not None and deploy.get("replicas") is not None and scale != deploy["replicas"]:
        issues.append(_err(f"services.{name}: can't set distinct values on 'scale' and 'deploy.replicas'"))
    resources = deploy.get("resources") or {}
    limits, reservations = resources.get("limits"), resources.get("reservations")
    for key, block, field, label in (
            ("cpus", limits, "cpus", "deploy.resources.limits.cpus"),
            ("mem_limit", limits, "memory", "deploy.resources.limits.memory"),
            ("mem_reservation", reservations, "memory", "deploy.resources.reservations.memory"),
            ("pids_limit", limits, "pids", "deploy.resources.limits.pids")):
        # compose-go compares as soon as the limits/reservations block exists (unset = 0)
        if svc.get(key) is not None and isinstance(block, dict) and \
                str(svc[key]) != str(block.get(field, 0)):
            issues.append(_err(f"services.{name}: can't set distinct values on '{key}' and '{label}'"))
            break
    replicas = scale if scale is not None else deploy.get("replicas")
    if svc.get("container_name") and replicas is not None and replicas > 1:
        issues.append(_err(f'services.{name}: can\'t set container_name and {name} as container name '
                           "must be unique"))
    targets = {}
    for i, vol in enumerate(svc.get("volumes") or []):
        target = vol.get("target")
        if target in targets:
            issues.append(Issue(f"{where}.volumes[{i}]: target {target} already mounted as "
                                f"{targets[target]}", path=f"{where}.volumes"))
        targets[target] = f"{where}.volumes[{i}]"
    for i, tmpfs in enumerate(svc.get("tmpfs") or []):
        target = str(tmpfs).split(":", 1)[0]
        if target in targets:
            issues.append(Issue(f"{targets[target]}: target {target} already mounted as "
                                f"{where}.tmpfs[{i}]", path=f"{where}.tmpfs"))
        targets[target] = f"{where}.tmpfs[{i}]"
    for rule in ((svc.get("develop") or {}).get("watch") or []):
        if rule.get("action") in ("sync", "sync+restart", "sync+exec") and not rule.get("target"):
            issues.append(_err(f"services.{name}.develop.watch: target is required for non-rebuild actions",
                               f"{where}.develop.watch"))
        if rule.get("action") == "rebuild" and build is None:
            issues.append(_err(f"service {name} uses watch action rebuild but has no build section",
                               f"{where}.develop.watch"))
    return issues


def check_project(services: dict, top: dict, disabled: dict) -> None:
    from compose.graph import check_cycles
    issues = []
    names_seen: dict = {}
    for name, svc in services.items():
        issues += _references(name, svc, top)
        issues += _service_rules(name, svc, {**services, **disabled})
        cname = svc.get("container_name")
        if cname:
            if cname in names_seen:
                issues.append(_err(f'services.{name}: container name "{cname}" is already in use by '
                                   f'service {names_seen[cname]}'))
            names_seen[cname] = name
    for kind in ("secrets", "configs"):
        for key, obj in (top[kind] or {}).items():
            obj = obj or {}
            allowed = ("file", "environment", "external") + (("content",) if kind == "configs" else ())
            if not any(obj.get(k) for k in allowed):
                what = "file|environment" if kind == "secrets" else "file|environment|content"
                issues.append(Issue(f"{kind}.{key}: one of {what} must be set", path=f"{kind}.{key}"))
    if issues:
        raise ConfigError(issues)
    deps = {n: {d: v for d, v in (s.get("depends_on") or {}).items() if d in services}
            for n, s in services.items()}
    check_cycles(deps)
