"""A small JSON Schema (draft-07 subset) validator for the compose schema.

Importing jsonschema (with referencing, rpds, attrs, format checkers) costs more than loading a
whole project, so the keywords the compose schema uses are checked here. ``supports(schema)``
tells whether every keyword is known; if not, validate.py falls back to jsonschema.
Errors mimic jsonschema's ValidationError attributes used by validate.py (``validator``,
``validator_value``, ``schema``, ``instance``, ``absolute_path``, ``message``, ``context``).
"""
from __future__ import annotations

import re
from engine.records import field, record
from typing import Any, Iterator

from .schemafast import KNOWN, supports  # noqa: F401  (the keywords both validators know)



@record
class Error:
    validator: str
    validator_value: Any
    schema: dict
    instance: Any
    absolute_path: list
    message: str
    context: list = field(default_factory=list)


# JSON Schema's type tests: one table for both validators (schemafast is loaded first anyway).
from .schemafast import _TYPE_TESTS as _TYPES  # noqa: E402


class Validator:
    def __init__(self, schema: dict) -> None:
        self.root = schema
        self._patterns: dict = {}

    def _regex(self, pattern: str):
        rx = self._patterns.get(pattern)
        if rx is None:
            rx = self._patterns[pattern] = re.compile(pattern)
        return rx

    def _resolve(self, ref: str) -> dict:
        node: Any = self.root
        for part in ref.lstrip("#/").split("/"):
            if part:
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def iter_errors(self, instance: Any, schema: dict | None = None, path: tuple = ()) -> Iterator[Error]:
        schema = self.root if schema is None else schema
        if schema is True or schema == {}:
            return
        if schema is False:
            yield Error("false", False, {}, instance, list(path), "False schema does not allow it")
            return
        if "$ref" in schema:
            yield from self.iter_errors(instance, self._resolve(schema["$ref"]), path)
            return
        for key in schema:
            check = _CHECKS.get(key)
            if check is not None:
                yield from check(self, schema[key], instance, schema, path)

    def is_valid(self, instance: Any, schema: Any) -> bool:
        return next(iter(self.iter_errors(instance, schema)), None) is None


def _err(kw, value, schema, instance, path, message, context=()):
    return Error(kw, value, schema, instance, list(path), message, list(context))


def _type(v, value, instance, schema, path):
    types = value if isinstance(value, list) else [value]
    if not any(_TYPES[t](instance) for t in types):
        yield _err("type", value, schema, instance, path, f"{instance!r} is not of type "
                   + ", ".join(repr(t) for t in types))


def _properties(v, value, instance, schema, path):
    if isinstance(instance, dict):
        for name, sub in value.items():
            if name in instance:
                yield from v.iter_errors(instance[name], sub, path + (name,))


def _pattern_properties(v, value, instance, schema, path):
    if isinstance(instance, dict):
        for pattern, sub in value.items():
            rx = v._regex(pattern)
            for name, item in instance.items():
                if rx.search(name):
                    yield from v.iter_errors(item, sub, path + (name,))


def _additional(v, value, instance, schema, path):
    if not isinstance(instance, dict):
        return
    props = schema.get("properties") or {}
    patterns = [v._regex(p) for p in schema.get("patternProperties") or {}]
    extra = [k for k in instance if k not in props and not any(p.search(k) for p in patterns)]
    if not extra:
        return
    if value is False:
        yield _err("additionalProperties", value, schema, instance, path,
                   "Additional properties are not allowed (" + ", ".join(repr(k) for k in extra)
                   + (" was" if len(extra) == 1 else " were") + " unexpected)")
    elif isinstance(value, dict):
        for k in extra:
            yield from v.iter_errors(instance[k], value, path + (k,))


def _items(v, value, instance, schema, path):
    if isinstance(instance, list) and isinstance(value, dict):
        for i, item in enumerate(instance):
            yield from v.iter_errors(item, value, path + (i,))


def _one_of(v, value, instance, schema, path):
    context, matches = [], 0
    for sub in value:
        errors = list(v.iter_errors(instance, sub, path))
        if errors:
            context.extend(errors)
        else:
            matches += 1
    if matches == 0:
        yield _err("oneOf", value, schema, instance, path,
                   f"{instance!r} is not valid under any of the given schemas", context)
    elif matches > 1:
        yield _err("oneOf", value, schema, instance, path,
                   f"{instance!r} is valid under each of more than one given schemas")


def _any_of(v, value, instance, schema, path):
    context = []
    for sub in value:
        errors = list(v.iter_errors(instance, sub, path))
        if not errors:
            return
        context.extend(errors)
    yield _err("anyOf", value, schema, instance, path,
               f"{instance!r} is not valid under any of the given schemas", context)


def _all_of(v, value, instance, schema, path):
    for sub in value:
        yield from v.iter_errors(instance, sub, path)


def _not(v, value, instance, schema, path):
    if v.is_valid(instance, value):
        yield _err("not", value, schema, instance, path, f"{instance!r} should not be valid under {value!r}")


def _required(v, value, instance, schema, path):
    if isinstance(instance, dict):
        for name in value:
            if name not in instance:
                yield _err("required", value, schema, instance, path, f"{name!r} is a required property")


def _enum(v, value, instance, schema, path):
    if not any(instance == e and type(instance) is type(e) or
               (isinstance(instance, (int, float)) and not isinstance(instance, bool)
                and isinstance(e, (int, float)) and not isinstance(e, bool) and instance == e)
               for e in value):
        yield _err("enum", value, schema, instance, path, f"{instance!r} is not one of {value!r}")


def _const(v, value, instance, schema, path):
    if instance != value or type(instance) is not type(value):
        yield _err("const", value, schema, instance, path, f"{value!r} was expected")


def _pattern(v, value, instance, schema, path):
    if isinstance(instance, str) and not v._regex(value).search(instance):
        yield _err("pattern", value, schema, instance, path, f"{instance!r} does not match {value!r}")


def _unique(v, value, instance, schema, path):
    if value and isinstance(instance, list):
        seen = []
        for item in instance:
            if any(item == s and type(item) is type(s) for s in seen):
                yield _err("uniqueItems", value, schema, instance, path, f"{instance!r} has non-unique elements")
                return
            seen.append(item)


def _number(kw, op, word):
    def check(v, value, instance, schema, path):
        if isinstance(instance, (int, float)) and not isinstance(instance, bool) and op(instance, value):
            yield _err(kw, value, schema, instance, path, f"{instance!r} is {word} {value!r}")
    return check


def _length(kw, kind, op, word):
    def check(v, value, instance, schema, path):
        if isinstance(instance, kind) and op(len(instance), value):
            yield _err(kw, value, schema, instance, path, f"{instance!r} is {word}")
    return check


def _property_names(v, value, instance, schema, path):
    if isinstance(instance, dict):
        for name in instance:
            yield from v.iter_errors(name, value, path)


_CHECKS = {
    "type": _type, "properties": _properties, "patternProperties": _pattern_properties,
    "additionalProperties": _additional, "items": _items, "oneOf": _one_of, "anyOf": _any_of,
    "allOf": _all_of, "not": _not, "required": _required, "enum": _enum, "const": _const,
    "pattern": _pattern, "uniqueItems": _unique, "propertyNames": _property_names,
    "minimum": _number("minimum", lambda a, b: a < b, "less than the minimum of"),
    "maximum": _number("maximum", lambda a, b: a > b, "greater than the maximum of"),
    "minItems": _length("minItems", list, lambda n, m: n < m, "too short"),
    "maxItems": _length("maxItems", list, lambda n, m: n > m, "too long"),
    "minLength": _length("minLength", str, lambda n, m: n < m, "too short"),
    "maxLength": _length("maxLength", str, lambda n, m: n > m, "too long"),
    "minProperties": _length("minProperties", dict, lambda n, m: n < m, "does not have enough properties"),
}
