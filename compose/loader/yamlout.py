"""A small YAML writer that lays documents out the way go-yaml v3 (Docker Compose) does.

Only plain data (dict, list, str, int, float, bool, None) is written: block style, 2-space
indent, sequences indented under their key, ``{}``/``[]`` for empty collections. Strings that
would read back as another type are double-quoted; multi-line strings use literal style;
otherwise libyaml's scalar analysis (PyYAML's port of it, the same rules go-yaml ports) picks
plain, single-quoted or double-quoted. Characters outside the BMP are escaped (``\\U0001F680``).
Written by hand because PyYAML's Python emitter is slow and its C emitter cannot indent
sequences the way go-yaml does.
"""
from __future__ import annotations

import math
import re
from typing import Any

_OLD_BOOL = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON",
             "off", "Off", "OFF"}
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d?-\d\d?([Tt ]|$)")
_ESCAPES = {"\0": "\\0", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v",
            "\f": "\\f", "\r": "\\r", "\x1b": "\\e", '"': '\\"', "\\": "\\\\", "\x85": "\\N",
            "\xa0": "\\_", "\u2028": "\\L", "\u2029": "\\P"}
_analyzer = None


def _analyze(text: str):
    global _analyzer
    if _analyzer is None:
        import io
        from .yamllib import yaml_module
        yaml = yaml_module()
        _analyzer = yaml.emitter.Emitter(io.StringIO(), allow_unicode=True)
    return _analyzer.analyze_scalar(text)


def _needs_double_quotes(text: str) -> bool:
    from .yamlread import resolve_plain
    if text in _OLD_BOOL or _BASE60.match(text) or _TIMESTAMP.match(text):
        return True
    return not isinstance(resolve_plain(text), str)


def _double_quoted(text: str) -> str:
    out = []
    for c in text:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif ord(c) > 0xFFFF:
            out.append(f"\\U{ord(c):08X}")
        elif ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in "\ufeff\ufffe\uffff":
            out.append(f"\\x{ord(c):02X}" if ord(c) <= 0xFF else f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


_SINGLE_LINE: dict = {}          # (text, is_key) -> rendering; keys and values repeat a lot
# words libyaml's analysis always leaves plain (no indicator, space, quote or colon; not "-x"
# or "..."); they still go through _needs_double_quotes (yes/no, numbers, dates)
_PLAIN_WORD = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_./-]*\Z")


def _string(text: str, indent: int, is_key: bool) -> str:
    if "\n" in text:
        return _render_string(text, indent, is_key)
    key = (text, is_key)
    shown = _SINGLE_LINE.get(key)
    if shown is None:
        if _PLAIN_WORD.match(text) and not _needs_double_quotes(text):
            shown = text
        else:
            shown = _render_string(text, indent, is_key)
        _SINGLE_LINE[key] = shown
    return shown


def _render_string(text: str, indent: int, is_key: bool) -> str:
    if any(ord(c) > 0xFFFF for c in text) or _needs_double_quotes(text):
        return _double_quoted(text)
    if "\n" in text and not is_key:
        return _literal(text, indent)
    analysis = _analyze(text)
    if not analysis.empty and not analysis.multiline and analysis.allow_block_plain:
        return text
    if analysis.allow_single_quoted and not analysis.multiline:
        return "'" + text.replace("'", "''") + "'"
    return _double_quoted(text)


def _literal(text: str, indent: int) -> str:
    analysis = _analyze(text)
    if not analysis.allow_block or text.rstrip("\n") != text.rstrip():
        return _double_quoted(text)
    chomp = "-" if not text.endswith("\n") else ("+" if text.endswith("\n\n") else "")
    hint = str(2) if text[:1] in (" ", "\n") else ""
    pad = " " * (indent + 2)
    body = text[:-1] if text.endswith("\n") else text
    lines = [(pad + line) if line else "" for line in body.split("\n")]
    return f"|{hint}{chomp}\n" + "\n".join(lines)


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mant, exp = text.split("e")
        sign = exp[0] if exp[0] in "+-" else "+"
        text = f"{mant}e{sign}{exp.lstrip('+-').lstrip('0').rjust(2, '0')}"
    return text


def scalar(value: Any, indent: int = 0, is_key: bool = False) -> str:
    cls = value.__class__
    if cls is str:
        return _string(value, indent, is_key)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    return _string(str(value), indent, is_key)


def _write(value: Any, indent: int, out: list) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{scalar(key, indent, True)}:"
            _write_item(head, item, indent, out)
    else:
        for item in value:
            _write_seq_item(item, indent, out)


def _write_item(head: str, item: Any, indent: int, out: list) -> None:
    if isinstance(item, dict):
        if not item:
            out.append(head + " {}")
        else:
            out.append(head)
            _write(item, indent + 2, out)
    elif isinstance(item, list):
        if not item:
            out.append(head + " []")
        else:
            out.append(head)
            _write(item, indent + 2, out)
    else:
        out.append(f"{head} {scalar(item, indent)}")


def _write_seq_item(item: Any, indent: int, out: list) -> None:
    pad = " " * indent
    if isinstance(item, dict) and item:
        first = True
        for key, value in item.items():
            prefix = f"{pad}- " if first else f"{pad}  "
            _write_item(f"{prefix}{scalar(key, indent + 2, True)}:", value, indent + 2, out)
            first = False
    elif isinstance(item, list) and item:
        sub: list = []
        _write(item, indent + 2, sub)
        sub[0] = f"{pad}- " + sub[0].lstrip()
        out.extend(sub)
    elif isinstance(item, (dict, list)):
        out.append(f"{pad}- " + ("{}" if isinstance(item, dict) else "[]"))
    else:
        out.append(f"{pad}- {scalar(item, indent)}")


def dump(data: Any) -> str:
    if not isinstance(data, (dict, list)) or not data:
        return ("{}" if isinstance(data, dict) else "[]" if isinstance(data, list) else scalar(data)) + "\n"
    out: list = []
    _write(data, 0, out)
    return "\n".join(out) + "\n"
