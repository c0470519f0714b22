"""Helpers of ``pycompose config`` (imported only when the command runs)."""
from __future__ import annotations

import sys
from typing import Iterable

from compose.errors import ComposeError, UsageError
from compose.loader import LoadOptions, load_config


def _warn(message: str) -> None:
    from compose.loader.logwarn import warn
    warn(message)


def load_options(g, **kw) -> LoadOptions:
    return LoadOptions(files=list(g.files), project_name=g.project_name,
                       project_directory=g.project_directory, env_files=list(g.env_files),
                       profiles=list(g.profiles), on_warning=_warn, **kw)


def load(opts: LoadOptions):
    """-> LoadedConfig (plain dicts; compose.model is imported only for --hash)."""
    return load_config(opts)


def lines(items: Iterable) -> str:
    return "".join(f"{i}\n" for i in items)


def images(loaded) -> list:
    out = []
    for name, svc in sorted(loaded.services.items()):
        image = svc.get("image")
        out.append(str(image) if image is not None and image != "" else f"{loaded.name}-{name}")
    return out


def resource_names(loaded, section: str) -> list:
    """Names of the top-level networks/volumes the services use (--networks, --volumes)."""
    names = loaded.config.get(section) or {}
    if loaded.raw:                       # the raw map keeps unused ones; Docker lists used ones
        from .project_norm import _used
        nets, vols, _, _ = _used({k: v for k, v in loaded.services.items() if isinstance(v, dict)})
        names = [n for n in names if n in (nets if section == "networks" else vols)]
    return sorted(names)


def profiles(loaded) -> list:
    found = set()
    for svc in list(loaded.services.values()) + list(loaded.disabled.values()):
        found.update(str(p) for p in (svc or {}).get("profiles") or ())
    return sorted(found)


def hashes(loaded, spec: str) -> str:
    from compose.hashing import service_hash
    project = loaded.bind()
    names = sorted(project.services) if spec.strip() == "*" else [s.strip() for s in spec.split(",") if s.strip()]
    out = []
    for name in names:
        if name not in project.services:
            raise UsageError(f"no such service: {name}: not found")
        out.append(f"{name} {service_hash(project.services[name])}\n")
    return "".join(out)


def document(project, fmt: str, interpolated: bool = True) -> str:
    """The project document; without interpolation Docker Compose prints the raw map form
    (all keys sorted, no Go struct quirks, ``$`` not escaped)."""
    from compose.loader.output import to_json, to_yaml, to_plain_json, to_plain_yaml
    data = project.config
    if not interpolated:
        return to_plain_json(data) if fmt == "json" else to_plain_yaml(data)
    return to_json(data) if fmt == "json" else to_yaml(data)


def variables_table(opts: LoadOptions) -> str:
    from compose.loader.variables import collect_variables
    rows = collect_variables(opts)
    width = 20
    header = ["NAME", "REQUIRED", "DEFAULT VALUE", "ALTERNATE VALUE"]
    text = "".join(h.ljust(width) for h in header[:-1]) + header[-1] + "\n"
    for v in rows:
        cells = [v.name, "true" if v.required else "false", v.default or "", v.alternate or ""]
        text += "".join(c.ljust(max(width, len(c) + 1)) for c in cells[:-1]) + cells[-1] + "\n"
    return text


def emit(text: str, output: str | None) -> None:
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as e:
            raise ComposeError(f"cannot write {output}: {e.strerror or e}") from None
        return
    sys.stdout.write(text)


def _dependencies(svc: dict) -> set:
    """depends_on plus the implicit edges (links, service:X modes, volumes_from)."""
    deps = {str(d) for d in (svc.get("depends_on") or {})}
    for link in svc.get("links") or ():
        deps.add(str(link).split(":", 1)[0])
    for key in ("network_mode", "ipc", "pid", "uts", "cgroup"):
        mode = svc.get(key)
        if isinstance(mode, str) and mode.startswith("service:"):
            deps.add(mode[len("service:"):])
    for vf in svc.get("volumes_from") or ():
        if not str(vf).startswith("container:"):
            deps.add(str(vf).split(":", 1)[0])
    return deps


def services_in_dependency_order(loaded) -> list:
    """Docker Compose's order: names sorted, each preceded by its (recursive) dependencies."""
    services = loaded.services
    done: list = []
    seen: set = set()

    def visit(name: str) -> None:
        if name in seen or name not in services:
            return
        seen.add(name)
        for dep in sorted(_dependencies(services[name] or {})):
            visit(dep)
        done.append(name)

    for name in sorted(services):
        visit(name)
    return done
