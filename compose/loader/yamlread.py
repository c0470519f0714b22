"""YAML text -> plain Python data, with a line number for every dotted key path.

* Uses PyYAML's node composer (the C one when available) and builds the data itself, so that
  scalars resolve like Go's yaml.v3 (YAML 1.2 core: ``yes``/``on``/``8080:80`` stay strings),
  duplicate keys are rejected with file:line, merge keys (``<<``) and anchors/aliases work.
* ``!reset`` / ``!override`` tagged values come back wrapped in Reset / Override (merge uses
  them, then they are unwrapped).
* ``Document.lines`` maps "services.web.ports[0]" -> 1-based line.
"""
from __future__ import annotations

import math
import re
from engine.records import field, record
from typing import Any

from compose.errors import ConfigError, Issue


class Reset:
    """A value tagged ``!reset``: removes the inherited value when merged."""
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Reset({self.value!r})"


class Override(Reset):
    """A value tagged ``!override``: replaces (no merge) the inherited value."""

    def __repr__(self) -> str:
        return f"Override({self.value!r})"


@record
class Document:
    data: Any
    file: str
    lines: dict = field(default_factory=dict)
    more: list = field(default_factory=list)     # further YAML documents (merged as overrides)
    tagged: bool = False                         # holds !reset / !override values

    def line(self, path: str):
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


_INT_RE = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_OCT_RE = re.compile(r"^0o?[0-7_]+$")
_HEX_RE = re.compile(r"^[-+]?0x[0-9a-fA-F_]+$")
_FLOAT_RE = re.compile(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")
_STR_TAG = "tag:yaml.org,2002:str"
_IMPLICIT = {"tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "timestamp")}


def resolve_plain(text: str) -> Any:
    """Resolve a plain (unquoted) scalar like yaml.v3 does for untyped values."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT_RE.match(text):
        return int(text.replace("_", ""))
    if _HEX_RE.match(text):
        return int(text.replace("_", ""), 16)
    if _OCT_RE.match(text) and len(text) > 1:
        digits = text[2:] if text.startswith("0o") else text[1:]
        return int(digits.replace("_", "") or "0", 8)
    if _FLOAT_RE.match(text) and any(c.isdigit() for c in text):
        return float(text.replace("_", ""))
    low = text.lower()
    if low in (".inf", "+.inf"):
        return math.inf
    if low == "-.inf":
        return -math.inf
    if low == ".nan":
        return math.nan
    return text


_TAGGED = ("!reset", "!override")
_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN: dict = {}                 # plain scalar text -> resolved value (values are immutable)


def _plain(text: str) -> Any:
    value = _PLAIN.get(text, _PLAIN)
    if value is _PLAIN:
        value = _PLAIN[text] = resolve_plain(text)
    return value


class _Builder:
    """Node graph -> plain data, recording the line of every key path (hot loop: keep lean)."""

    def __init__(self, file: str) -> None:
        from .yamllib import yaml_module
        yaml = yaml_module()
        self.file = file
        self.lines: dict = {}
        self.active: set = set()
        self.tagged = False
        self.scalar_cls = yaml.ScalarNode
        self.seq_cls = yaml.SequenceNode

    def fail(self, node, path: str, message: str):
        line = node.start_mark.line + 1 if node is not None else None
        raise ConfigError([Issue(message, file=self.file, path=path, line=line)])

    def build(self, node, path: str) -> Any:
        if path and path not in self.lines:
            self.lines[path] = node.start_mark.line + 1
        tag = node.tag
        if tag in _TAGGED:
            self.tagged = True
            inner = self._untagged(node, path)
            return Reset(inner) if tag == "!reset" else Override(inner)
        cls = node.__class__
        if cls is self.scalar_cls:
            return self._scalar(node)
        if id(node) in self.active:
            self.fail(node, path, "recursive YAML alias")
        self.active.add(id(node))
        try:
            if cls is self.seq_cls:
                return self._sequence(node, path)
            return self._mapping(node, path)
        finally:
            self.active.discard(id(node))

    def _sequence(self, node, path: str) -> list:
        out = []
        lines, scalar_cls = self.lines, self.scalar_cls
        for i, item in enumerate(node.value):
            sub = f"{path}[{i}]"
            if item.__class__ is scalar_cls and item.tag not in _TAGGED:
                if sub not in lines:
                    lines[sub] = item.start_mark.line + 1
                # inline _scalar: quoted/block -> text, implicit plain -> resolved
                out.append(item.value if item.style or item.tag not in _IMPLICIT
                           else _plain(item.value))
            else:
                out.append(self.build(item, sub))
        return out

    def _untagged(self, node, path: str) -> Any:
        if node.__class__ is self.scalar_cls:
            return None if node.value == "" and not node.style else self._scalar(node, force=True)
        if node.__class__ is self.seq_cls:
            return self._sequence(node, path)
        return self._mapping(node, path)

    @staticmethod
    def _scalar(node, force: bool = False) -> Any:
        if node.style:                             # quoted, literal or folded: a string
            return node.value
        if not force and node.tag not in _IMPLICIT:
            return node.value                      # explicitly tagged (e.g. !!binary): keep text
        return _plain(node.value)

    def _mapping(self, node, path: str) -> dict:
        out: dict = {}
        merged: dict = {}
        lines, scalar_cls = self.lines, self.scalar_cls
        for key_node, value_node in node.value:
            key_is_scalar = key_node.__class__ is scalar_cls
            if key_node.tag == _MERGE_TAG or (key_is_scalar and key_node.value == "<<"
                                              and not key_node.style):
                for src in self._merge_sources(value_node, path):
                    for k, v in src.items():
                        merged.setdefault(k, v)
                continue
            if not key_is_scalar:
                self.fail(key_node, path, "mapping keys must be strings")
            key = self._scalar(key_node)
            if not isinstance(key, str):
                where = f" in {path}" if path else ""
                self.fail(key_node, path, f"non-string key{where}: {key_node.value}")
            sub = f"{path}.{key}" if path else key
            if key in out:
                first = lines.get(sub)
                self.fail(key_node, sub, f"mapping key {key!r} already defined at line {first}")
            if value_node.__class__ is scalar_cls and value_node.tag not in _TAGGED:
                out[key] = (value_node.value if value_node.style or value_node.tag not in _IMPLICIT
                            else _plain(value_node.value))          # inline _scalar
            else:
                out[key] = self.build(value_node, sub)
            lines[sub] = key_node.start_mark.line + 1
        for k, v in merged.items():
            out.setdefault(k, v)
        return out

    def _merge_sources(self, node, path: str) -> list:
        nodes = node.value if node.__class__ is self.seq_cls else [node]
        sources = []
        for n in nodes:
            value = self.build(n, path)
            if not isinstance(value, dict):
                self.fail(n, path, "map merge requires map or sequence of maps as the value")
            sources.append(value)
        return sources


def read_yaml(text: str, file: str) -> Document:
    """Parse one compose file. Empty documents give {}. Raises ConfigError on bad YAML."""
    from .yamllib import compose_nodes, yaml_module
    yaml = yaml_module()
    try:
        nodes = compose_nodes(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        msg = " ".join(p for p in (e.context, e.problem) if p) or str(e)
        if "\t" in text and "cannot start any token" in msg:
            msg += " (tabs are not allowed for indentation; use spaces)"
        raise ConfigError([Issue(f"yaml: {msg}", file=file, line=line)]) from None
    except yaml.YAMLError as e:
        raise ConfigError([Issue(f"yaml: {e}", file=file)]) from None
    except (ValueError, UnicodeError) as e:
        raise ConfigError([Issue(f"yaml: {e}", file=file)]) from None
    if not nodes:
        return Document({}, file)
    builder = _Builder(file)
    documents = []
    for node in nodes:
        try:
            data = builder.build(node, "")
        except RecursionError:
            raise ConfigError([Issue("yaml: document nested too deeply", file=file)]) from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError([Issue("Top-level object must be a mapping", file=file,
                                     line=node.start_mark.line + 1)])
        documents.append(data)
    return Document(documents[0], file, builder.lines, documents[1:], builder.tagged)


def strip_tags(value: Any) -> Any:
    """Remove Reset/Override wrappers (a Reset becomes None)."""
    if isinstance(value, Override):
        return strip_tags(value.value)
    if isinstance(value, Reset):
        return None
    if isinstance(value, dict):
        return {k: strip_tags(v) for k, v in value.items() if not isinstance(v, Reset) or isinstance(v, Override)}
    if isinstance(value, list):
        return [strip_tags(v) for v in value if not (isinstance(v, Reset) and not isinstance(v, Override))]
    return value
