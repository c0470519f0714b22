"""JSON Schema validation of one (interpolated) compose file -> ConfigError with Issues.

The schema is schemas/compose-spec.json (loaded with ``schemas.load``); while it is absent
validation is skipped. Each jsonschema error becomes an Issue(file, dotted path, line,
message); unknown keys get a "did you mean ..." suggestion (difflib) from the keys the schema
allows at that place.
"""
from __future__ import annotations

import difflib
import functools
import re
from typing import Any, Optional

from compose.errors import ConfigError, Issue


@functools.lru_cache(maxsize=1)
def _validator():
    try:
        import schemas
        schema = schemas.load("compose-spec.json")
    except (FileNotFoundError, OSError, ValueError, ModuleNotFoundError):
        return None
    import jsonschema
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return cls(schema, format_checker=None)


def _dotted(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _known_keys(error) -> list:
    schema = error.schema or {}
    keys = list((schema.get("properties") or {}).keys())
    return keys


def _message(error) -> str:
    where = _dotted(error.absolute_path) or "(root)"
    if error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message.split(" were unexpected")[0].split(" was unexpected")[0])
        known = _known_keys(error)
        parts = []
        for key in extra or []:
            hint = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            parts.append(f"additional property {key!r} is not allowed"
                         + (f" (did you mean {hint[0]!r}?)" if hint else ""))
        if parts:
            return f"{where}: " + "; ".join(parts)
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{where} must be a {expected}"
    if error.validator in ("oneOf", "anyOf") and error.context:
        best = min(error.context, key=lambda e: len(list(e.absolute_path)) * -1)
        return _message(best) if list(best.absolute_path) != list(error.absolute_path) \
            else f"{where}: {best.message}"
    if error.validator == "required":
        return f"{where}: {error.message}"
    if error.validator == "patternProperties" or error.validator == "propertyNames":
        return f"{where}: {error.message}"
    return f"{where}: {error.message}"


def validate(data: Any, *, file: str = "", line_of=None) -> None:
    """Raise ConfigError listing every schema violation of ``data`` (a plain dict)."""
    validator = _validator()
    if validator is None:
        return
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    issues = []
    for error in errors[:20]:
        path = _dotted(error.absolute_path)
        line: Optional[int] = line_of(path) if line_of else None
        issues.append(Issue(_message(error), file=file, path=path, line=line))
    raise ConfigError(issues)
