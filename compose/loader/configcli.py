"""Helpers of ``pycompose config`` (imported only when the command runs)."""
from __future__ import annotations

import sys
from typing import Iterable

from compose.errors import ComposeError, UsageError
from compose.loader import LoadOptions, load_project


def _warn(message: str) -> None:
    sys.stderr.write(f'WARN[0000] {message}\n')


def load_options(g, **kw) -> LoadOptions:
    return LoadOptions(files=list(g.files), project_name=g.project_name,
                       project_directory=g.project_directory, env_files=list(g.env_files),
                       profiles=list(g.profiles), on_warning=_warn, **kw)


def load(opts: LoadOptions):
    return load_project(opts)


def lines(items: Iterable) -> str:
    return "".join(f"{i}\n" for i in items)


def images(project) -> list:
    out = []
    for name, svc in sorted(project.services.items()):
        out.append(svc.image or f"{project.name}-{name}")
    return out


def profiles(project) -> list:
    found = set()
    for svc in list(project.services.values()) + list(project.disabled_services.values()):
        found.update(svc.profiles)
    return sorted(found)


def hashes(project, spec: str) -> str:
    from compose.hashing import service_hash
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
    data = project.as_dict()
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


def services_in_dependency_order(project) -> list:
    """Docker Compose's order: names sorted, each preceded by its (recursive) dependencies."""
    done: list = []
    seen: set = set()

    def visit(name: str) -> None:
        if name in seen or name not in project.services:
            return
        seen.add(name)
        for dep in sorted(project.services[name].dependencies()):
            visit(dep)
        done.append(name)

    for name in sorted(project.services):
        visit(name)
    return done
