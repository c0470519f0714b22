"""Output helpers for the image commands: docker-style tables (tabwriter: min width 10,
padding 3), ``--format json`` lines and a small subset of Go templates
(``{{.Field}}``, ``{{.A.B}}``, ``{{json .}}``, ``{{json .Field}}``, a leading ``table``) and
the ``image ls`` rows built from the engine's ImageInfo (units: compose/cli/units.py)."""
from __future__ import annotations

import json
import re

_TOKEN = re.compile(r"{{\s*(json\s+)?\.([\w.]*)\s*}}")
HEADERS = {"ID": "IMAGE ID", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT",
           "CreatedBy": "CREATED BY", "Repository": "REPOSITORY", "Tag": "TAG",
           "Digest": "DIGEST", "Size": "SIZE", "Comment": "COMMENT"}


def table(headers: list[str], rows: list[list[str]]) -> str:
    """Columns like Go's tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)."""
    all_rows = [headers] + rows
    widths = [max(max(len(str(r[i])) for r in all_rows) + 3, 10) for i in range(len(headers) - 1)]
    lines = []
    for r in all_rows:
        cells = [str(c).ljust(w) for c, w in zip(r, widths)] + [str(r[-1])]
        lines.append("".join(cells).rstrip())
    return "\n".join(lines)


def go_value(value) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(v)}" for k, v in sorted(value.items())) + "]"
    return str(value)


def _lookup(obj, path: str):
    if not path:
        return obj
    for part in path.split("."):
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        else:
            return _MISSING
    return obj


class _Missing:
    def __str__(self) -> str:
        return "<no value>"


_MISSING = _Missing()


def render_template(template: str, obj) -> str:
    template = template.replace("\\t", "\t").replace("\\n", "\n")

    def sub(m: re.Match) -> str:
        value = _lookup(obj, m.group(2))
        if value is _MISSING:
            return "<no value>"
        return json.dumps(value) if m.group(1) else go_value(value)
    return _TOKEN.sub(sub, template)


def emit(fmt: str, objects: list[dict], default_columns: list[str], echo,
         headers: dict | None = None) -> None:
    """Print ``objects`` as a table (default), JSON lines ("json") or a Go template."""
    fmt = fmt or "table"
    if fmt == "json":
        for obj in objects:
            echo(json.dumps(obj, separators=(",", ":")))
        return
    if fmt == "table" or fmt.startswith("table "):
        spec = fmt[len("table "):] if fmt.startswith("table ") else ""
        columns = [m.group(2) for m in _TOKEN.finditer(spec)] if spec else default_columns
        rows = [[render_template("{{." + c + "}}", o) for c in columns] for o in objects]
        names = dict(HEADERS, **(headers or {}))
        echo(table([names.get(c, c.upper()) for c in columns], rows))
        return
    for obj in objects:
        echo(render_template(fmt, obj))


def list_rows(info, digests: bool = False) -> list[dict]:
    """Rows of ``docker image ls`` for one engine ImageInfo: one per tag (one <none> row if
    untagged)."""
    from engine import reference
    from .units import created_at, created_since, human_size
    tags = [reference.familiar(t) for t in info.repo_tags]
    repo_digests = [reference.familiar(d) for d in info.repo_digests]
    rows = []
    pairs = [tuple(t.rsplit(":", 1)) for t in tags] or [("<none>", "<none>")]
    if not tags and repo_digests:
        pairs = [(d.partition("@")[0], "<none>") for d in repo_digests]
    for repo, tag in pairs:
        digest = next((d.partition("@")[2] for d in repo_digests
                       if d.partition("@")[0] == repo), "<none>")
        rows.append({"Containers": "N/A", "CreatedAt": created_at(info.created),
                     "CreatedSince": created_since(info.created), "Digest": digest,
                     "ID": info.id[7:19], "Repository": repo, "SharedSize": "N/A",
                     "Size": human_size(info.size), "Tag": tag, "UniqueSize": "N/A",
                     "VirtualSize": human_size(info.size)})
    return rows
