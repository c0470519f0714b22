"""The compose schema compiled to Python closures: a fast yes/no check of a whole file.

Valid files are the common case, so validate.py asks ``compile_schema(schema)(data)`` first and
only walks the schema with minischema (which explains every violation) when the answer is no.
Each schema node becomes one closure with its keywords pre-resolved ($ref followed once,
regexes compiled, property tables built), instead of re-reading the schema dict per value.
Semantics are minischema's (draft-07 subset; a ``$ref`` hides its siblings).
"""
from __future__ import annotations

import re
from typing import Any, Callable

Check = Callable[[Any], bool]

KNOWN = {"type", "$ref", "properties", "patternProperties", "additionalProperties", "items",
         "oneOf", "anyOf", "allOf", "not", "required", "enum", "const", "pattern", "uniqueItems",
         "minimum", "maximum", "minItems", "maxItems", "minLength", "maxLength", "minProperties",
         "propertyNames", "description", "default", "$schema", "$id", "title", "definitions",
         "$comment", "examples", "format", "deprecated"}


def supports(schema: Any) -> bool:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key not in KNOWN:
                return False
            if key in ("properties", "patternProperties", "definitions"):
                if not all(supports(v) for v in value.values()):
                    return False
            elif key not in ("enum", "const", "default", "examples", "required") and not supports(value):
                return False
        if isinstance(schema.get("items"), list):
            return False
        return True
    if isinstance(schema, list):
        return all(supports(v) for v in schema)
    return True


def _valid(_instance: Any) -> bool:
    return True


def _invalid(_instance: Any) -> bool:
    return False


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_TYPE_TESTS = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
}


class _Compiler:
    def __init__(self, root: dict) -> None:
        self.root = root
        self.done: dict = {}            # id(schema node) -> closure (or a forwarding cell)

    def resolve(self, ref: str) -> Any:
        node: Any = self.root
        for part in ref.lstrip("#/").split("/"):
            if part:
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def compile(self, schema: Any) -> Check:
        if schema is True or schema == {}:
            return _valid
        if schema is False:
            return _invalid
        key = id(schema)
        if key in self.done:
            return self.done[key]
        cell: list = []
        self.done[key] = lambda v: cell[0](v)     # recursion through $ref
        if "$ref" in schema:
            check = self.compile(self.resolve(schema["$ref"]))
        else:
            check = self._node(schema)
        cell.append(check)
        self.done[key] = check
        return check

    def lazy(self, schema: Any) -> Check:
        """compile(schema), deferred to the first value it checks (most of the schema is never
        reached by one file: compiling it all up front costs more than checking)."""
        if schema is True or schema == {}:
            return _valid
        if schema is False:
            return _invalid
        found = self.done.get(id(schema))
        if found is not None:
            return found
        cell: list = []

        def check(v: Any) -> bool:
            if not cell:
                cell.append(self.compile(schema))
            return cell[0](v)
        return check

    def _node(self, schema: dict) -> Check:
        checks = [c for c in (self._types(schema), self._object(schema), self._array(schema),
                              self._combinators(schema), self._values(schema)) if c is not None]
        if not checks:
            return _valid
        if len(checks) == 1:
            return checks[0]
        if len(checks) == 2:                  # the usual case: type + one keyword group
            first, second = checks
            return lambda v: first(v) and second(v)

        def every(v: Any) -> bool:
            for c in checks:
                if not c(v):
                    return False
            return True
        return every

    @staticmethod
    def _types(schema: dict):
        if "type" not in schema:
            return None
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        tests = tuple(_TYPE_TESTS[t] for t in types)
        if len(tests) == 1:
            return tests[0]
        return lambda v: any(t(v) for t in tests)

    def _object(self, schema: dict):
        keys = ("properties", "patternProperties", "additionalProperties", "required",
                "minProperties", "propertyNames")
        if not any(k in schema for k in keys):
            return None
        props = {k: self.lazy(s) for k, s in (schema.get("properties") or {}).items()}
        patterns = [(re.compile(p), self.lazy(s))
                    for p, s in (schema.get("patternProperties") or {}).items()]
        extra = schema.get("additionalProperties", True)
        extra_check = None if extra is True else (_invalid if extra is False else self.lazy(extra))
        required = tuple(schema.get("required") or ())
        min_props = schema.get("minProperties")
        names = self.lazy(schema["propertyNames"]) if "propertyNames" in schema else None

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for k, item in v.items():
                sub = props.get(k)
                matched = sub is not None
                if matched and not sub(item):
                    return False
                for rx, pcheck in patterns:
                    if rx.search(k):
                        matched = True
                        if not pcheck(item):
                            return False
                if not matched and extra_check is not None and not extra_check(item):
                    return False
                if names is not None and not names(k):
                    return False
            for name in required:
                if name not in v:
                    return False
            return min_props is None or len(v) >= min_props
        return check

    def _array(self, schema: dict):
        items = schema.get("items")
        item_check = self.lazy(items) if isinstance(items, dict) else None
        unique = bool(schema.get("uniqueItems"))
        lo, hi = schema.get("minItems"), schema.get("maxItems")
        if item_check is None and not unique and lo is None and hi is None:
            return None

        def check(v: Any) -> bool:
            if not isinstance(v, list):
                return True
            if (lo is not None and len(v) < lo) or (hi is not None and len(v) > hi):
                return False
            if item_check is not None:
                for item in v:
                    if not item_check(item):
                        return False
            if unique:
                seen: list = []
                for item in v:
                    if any(item == s and type(item) is type(s) for s in seen):
                        return False
                    seen.append(item)
            return True
        return check

    def _combinators(self, schema: dict):
        parts = []
        if "oneOf" in schema:
            subs = [self.lazy(s) for s in schema["oneOf"]]
            parts.append(lambda v: sum(1 for s in subs if s(v)) == 1)
        if "anyOf" in schema:
            subs_any = [self.lazy(s) for s in schema["anyOf"]]
            parts.append(lambda v: any(s(v) for s in subs_any))
        if "allOf" in schema:
            subs_all = [self.lazy(s) for s in schema["allOf"]]
            parts.append(lambda v: all(s(v) for s in subs_all))
        if "not" in schema:
            negated = self.lazy(schema["not"])
            parts.append(lambda v: not negated(v))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else (lambda v: all(p(v) for p in parts))

    @staticmethod
    def _values(schema: dict):
        parts = []
        if "enum" in schema:
            options = schema["enum"]
            parts.append(lambda v: any(
                v == e and type(v) is type(e) or (_is_number(v) and _is_number(e) and v == e)
                for e in options))
        if "const" in schema:
            const = schema["const"]
            parts.append(lambda v: v == const and type(v) is type(const))
        if "pattern" in schema:
            rx = re.compile(schema["pattern"])
            parts.append(lambda v: not isinstance(v, str) or rx.search(v) is not None)
        for kw, op in (("minimum", lambda a, b: a >= b), ("maximum", lambda a, b: a <= b)):
            if kw in schema:
                bound = schema[kw]
                parts.append(lambda v, b=bound, op=op: not _is_number(v) or op(v, b))
        for kw, kind, op in (("minLength", str, lambda n, m: n >= m),
                             ("maxLength", str, lambda n, m: n <= m)):
            if kw in schema:
                bound = schema[kw]
                parts.append(lambda v, b=bound, k=kind, op=op: not isinstance(v, k) or op(len(v), b))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else (lambda v: all(p(v) for p in parts))


def compile_schema(schema: dict) -> Check:
    """-> check(instance) -> True when ``instance`` is valid against ``schema``."""
    return _Compiler(schema).compile(schema)
