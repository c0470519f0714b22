"""JSON Schema validation of one (interpolated) compose file -> ConfigError with Issues.

The schema is schemas/compose-spec.json (loaded with ``schemas.load``); while it is absent
validation is skipped. compose/loader/minischema.py checks it (fast, no jsonschema import)
unless the schema uses a keyword it does not know, then jsonschema does. With minischema, the
schema compiled to closures (schemafast.py) first says yes/no; errors are only explained on no. Each jsonschema error becomes an Issue(file, dotted path, line,
message); unknown keys get a "did you mean ..." suggestion (difflib) from the keys the schema
allows at that place.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Optional

from compose.errors import ConfigError, Issue


@functools.lru_cache(maxsize=1)
def _schema():
    try:
        import schemas
        return schemas.load("compose-spec.json")
    except (FileNotFoundError, OSError, ValueError, ModuleNotFoundError):
        return None


@functools.lru_cache(maxsize=1)
def _quick_check():
    """schemafast's yes/no check, when the schema only uses keywords it knows."""
    from . import schemafast
    schema = _schema()
    if schema is None or not schemafast.supports(schema):
        return None
    return schemafast.compile_schema(schema)


@functools.lru_cache(maxsize=1)
def _validator():
    """The validator that explains violations (minischema, else jsonschema)."""
    schema = _schema()
    if schema is None:
        return None
    from . import minischema
    if minischema.supports(schema):
        return minischema.Validator(schema)
    import jsonschema                    # the schema uses keywords minischema does not know
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return cls(_inline_refs(schema), format_checker=None)


def _inline_refs(schema: dict) -> dict:
    """Replace local ``#/definitions/x`` references by their targets (once, recursion-safe).

    jsonschema resolves every $ref through the referencing library on each use; for a
    50-service file that is most of the validation time.
    """
    definitions = schema.get("definitions") or schema.get("$defs") or {}
    prefix = "#/definitions/" if "definitions" in schema else "#/$defs/"

    def walk(node, active):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(prefix) and len(node) == 1:
                name = ref[len(prefix):]
                if name in active or name not in definitions:
                    return node
                return walk(definitions[name], active | {name})
            return {k: (walk(v, active) if k not in ("definitions", "$defs") else v)
                    for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, active) for v in node]
        return node

    return walk(schema, frozenset())


def _dotted(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _unknown_keys(error) -> list:
    schema = error.schema or {}
    props = set((schema.get("properties") or {}).keys())
    patterns = list((schema.get("patternProperties") or {}).keys())
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [k for k in instance
            if k not in props and not any(re.search(p, str(k)) for p in patterns)]


_ARTICLE = {"array": "an array", "object": "a mapping", "integer": "an integer",
            "string": "a string", "number": "a number", "boolean": "a boolean", "null": "null"}


def _message(error) -> str:
    """The message of one error (the Issue carries the dotted path separately)."""
    if error.validator == "additionalProperties":
        known = list(((error.schema or {}).get("properties") or {}).keys())
        parts = []
        import difflib  # only for an error's "did you mean" hint
        for key in _unknown_keys(error):
            hint = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            parts.append(f"additional property {key!r} is not allowed"
                         + (f" (did you mean {hint[0]!r}?)" if hint else ""))
        if parts:
            return "; ".join(parts)
    if error.validator == "type":
        expected = error.validator_value
        expected = expected if isinstance(expected, list) else [expected]
        return "must be " + " or ".join(_ARTICLE.get(t, t) for t in expected)
    if error.validator in ("oneOf", "anyOf") and error.context:
        focus = _focus(error)
        if focus is not error:
            return _message(focus)
        deepest = max(error.context, key=lambda e: len(list(e.absolute_path)))
        types = [e.validator_value for e in error.context if e.validator == "type"]
        if types and len(types) == len(error.context):
            flat = [t for v in types for t in (v if isinstance(v, list) else [v])]
            return "must be " + " or ".join(_ARTICLE.get(t, t) for t in dict.fromkeys(flat))
        return deepest.message
    return error.message


def _focus(error):
    """The error a oneOf/anyOf failure is explained by (the deepest alternative's, when one
    went deeper), so the path names the offending key like its message does."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        deepest = max(error.context, key=lambda e: len(list(e.absolute_path)))
        if len(list(deepest.absolute_path)) > len(list(error.absolute_path)):
            return _focus(deepest)
        # the alternative of the right type explains it (e.g. an unknown key in a mapping)
        non_type = [e for e in error.context if e.validator != "type"]
        if non_type and len(non_type) < len(error.context):
            return _focus(non_type[0])
    return error


def _issue_path(error) -> str:
    error = _focus(error)
    path = _dotted(error.absolute_path)
    if error.validator == "additionalProperties":
        keys = _unknown_keys(error)
        if keys:
            return f"{path}.{keys[0]}" if path else str(keys[0])
    return path


def validate(data: Any, *, file: str = "", line_of=None) -> None:
    """Raise ConfigError listing every schema violation of ``data`` (a plain dict)."""
    quick = _quick_check()
    if quick is not None and quick(data):       # valid: no need to explain anything
        return
    validator = _validator()
    if validator is None:
        return
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    issues = []
    for error in errors[:20]:
        path = _issue_path(error)
        line: Optional[int] = line_of(path) if line_of else None
        issues.append(Issue(_message(error), file=file, path=path, line=line))
    raise ConfigError(issues)
