"""``config --variables``: every ${VAR} referenced by the (uninterpolated) compose files."""
from __future__ import annotations

from .interpolate import Interpolator, InterpolationError


def _walk(value, interp: Interpolator) -> None:
    if isinstance(value, dict):
        for v in value.values():
            _walk(v, interp)
    elif isinstance(value, list):
        for v in value:
            _walk(v, interp)
    elif hasattr(value, "value") and not isinstance(value, (str, bytes)):
        _walk(value.value, interp)
    elif isinstance(value, str) and "$" in value:
        try:
            interp.substitute(value)
        except InterpolationError:
            pass
        except Exception:       # a ${X:?err} that fails still names X
            pass


def collect_variables(opts) -> list:
    """Variables in order of first appearance, one entry per name (merged attributes)."""
    from . import discovery
    from .pipeline import FileLoader
    ctx = discovery.resolve(opts)
    loader = FileLoader(opts, {}, ctx.project_dir)
    interp = Interpolator({})
    for path in ctx.files:
        _walk(loader.read(path).data, interp)
    merged: dict = {}
    for var in interp.seen:
        cur = merged.setdefault(var.name, var)
        if cur is not var:
            cur.required = cur.required or var.required
            cur.default = cur.default or var.default
            cur.alternate = cur.alternate or var.alternate
    return list(merged.values())
