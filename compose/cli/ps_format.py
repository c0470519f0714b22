"""`ps --format` with Go templates, as Docker Compose renders them (its ContainerContext):

    text = render(fmt, rows)      # rows: compose.cli.project_info.ps_json dicts

Supported: ``{{.Field}}``, ``{{json .Field}}``, ``{{json .}}``, ``{{.Label "key"}}``,
``\\t``/``\\n`` escapes and a leading ``table`` (a header row, columns like Go's tabwriter:
min width 10, padding 3). Field names are the keys of Docker Compose's ``ps --format json``
; ``.Publishers`` prints Go's struct form
(``[{0.0.0.0 80 8080 tcp}]``). An unknown field is Docker Compose's template error and
nothing is printed.
"""
from __future__ import annotations

import json
import re

from compose.errors import ComposeError

_TOKEN = re.compile(r'{{\s*(json\s+)?\.(\w*)(?:\s+"([^"]*)")?\s*}}')
HEADERS = {"Name": "NAME", "Names": "NAMES", "Service": "SERVICE", "State": "STATE",
           "Image": "IMAGE", "ID": "CONTAINER ID", "Command": "COMMAND", "RunningFor": "CREATED",
           "CreatedAt": "CREATED AT", "Ports": "PORTS", "Project": "PROJECT", "Status": "STATUS",
           "Labels": "LABELS", "Size": "SIZE"}


def _go(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):            # Publishers: Go prints a slice of structs
        return "[" + " ".join("{" + " ".join(str(v) for v in p.values()) + "}"
                              if isinstance(p, dict) else str(p) for p in value) + "]"
    return str(value)


def _check(fmt: str, row: dict) -> None:
    for m in _TOKEN.finditer(fmt):
        name = m.group(2)
        if name and name not in row and name != "Label":
            raise ComposeError(f'template parsing error: template: :1:{m.start() + 2}: executing "" '
                               f"at <.{name}>: can't evaluate field {name} in type "
                               f"*formatter.ContainerContext")


def _value(m: re.Match, row: dict) -> str:
    json_func, name, arg = m.group(1), m.group(2), m.group(3)
    if not name:
        value = row
    elif name == "Label":
        labels = dict(kv.partition("=")[::2] for kv in row.get("Labels", "").split(",") if kv)
        value = labels.get(arg or "", "")
    else:
        value = row[name]
    return json.dumps(value, separators=(",", ":")) if json_func else _go(value)


def _header(m: re.Match) -> str:
    if m.group(1):
        return ""
    if m.group(2) == "Label":
        return (m.group(3) or "").rsplit(".", 1)[-1]
    return HEADERS.get(m.group(2), "<no value>")


def render(fmt: str, rows: list[dict]) -> str:
    """The ``ps`` output for a Go-template ``--format`` (one line per container)."""
    from .image_format import table
    fmt = fmt.replace("\\t", "\t").replace("\\n", "\n")
    probe = rows[0] if rows else dict({k: "" for k in HEADERS}, ExitCode=0, Health="",
                                      Networks="", Publishers=[], Mounts="", LocalVolumes="0")
    _check(fmt, probe)
    if fmt.startswith("table"):
        spec = fmt[len("table"):].lstrip(" ")
        header = _TOKEN.sub(_header, spec).split("\t")
        cells = [_TOKEN.sub(lambda m: _value(m, r), spec).split("\t") for r in rows]
        return table(header, cells) + "\n"
    return "".join(_TOKEN.sub(lambda m: _value(m, r), fmt) + "\n" for r in rows)
