"""Variable interpolation in values (never keys), like compose-go's template package.

Forms: ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?err}``,
``${VAR?err}``, ``${VAR:+alt}``, ``${VAR+alt}``; defaults/alternates may nest further
``${...}``; ``$$`` is a literal ``$``. A ``$`` not followed by a name or ``{`` stays literal.
An unset variable without default is a warning and expands to "".
"""
from __future__ import annotations

import re
from engine.records import field, record
from typing import Any, Callable, Mapping, Optional

from compose.errors import ConfigError, Issue

from .yamlread import Reset

_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")


class InterpolationError(Exception):
    pass


@record
class Variable:
    """One variable reference (for ``config --variables``)."""
    name: str
    required: bool = False
    default: Optional[str] = None
    alternate: Optional[str] = None


@record
class Interpolator:
    env: Mapping[str, str]
    on_unset: Optional[Callable[[str], None]] = None
    seen: list = field(default_factory=list)     # Variable, in order of appearance
    warned: set = field(default_factory=set)

    def substitute(self, text: str) -> str:
        out, pos = [], 0
        while True:
            i = text.find("$", pos)
            if i < 0:
                out.append(text[pos:])
                return "".join(out)
            out.append(text[pos:i])
            value, pos = self._dollar(text, i)
            out.append(value)

    def _dollar(self, text: str, i: int) -> tuple:
        nxt = text[i + 1:i + 2]
        if nxt == "$":
            return "$", i + 2
        if nxt == "{":
            return self._braced(text, i + 2)
        m = _NAME.match(text, i + 1)
        if not m:
            return "$", i + 1
        self.seen.append(Variable(m.group(0)))
        return self._lookup(m.group(0)), m.end()

    def _lookup(self, name: str) -> str:
        if name in self.env:
            return self.env[name]
        if self.on_unset is not None and name not in self.warned:
            self.warned.add(name)
            self.on_unset(name)
        return ""

    def _braced(self, text: str, start: int) -> tuple:
        m = _NAME.match(text, start)
        if not m:
            raise InterpolationError("invalid")
        name, pos = m.group(0), m.end()
        if text[pos:pos + 1] == "}":
            self.seen.append(Variable(name))
            return self._lookup(name), pos + 1
        for op in (":-", ":?", ":+", "-", "?", "+"):
            if text.startswith(op, pos):
                break
        else:
            raise InterpolationError("invalid")
        arg_start = pos + len(op)
        end = _matching_brace(text, arg_start)
        raw_arg = text[arg_start:end]
        return self._apply(name, op, raw_arg), end + 1

    def _apply(self, name: str, op: str, raw_arg: str) -> str:
        value = self.env.get(name)
        unset = value is None
        empty = unset or value == ""
        if op in (":-", "-"):
            self.seen.append(Variable(name, default=raw_arg))
            if (op == ":-" and empty) or (op == "-" and unset):
                return self.substitute(raw_arg)
            return value
        if op in (":+", "+"):
            self.seen.append(Variable(name, alternate=raw_arg))
            if (op == ":+" and not empty) or (op == "+" and not unset):
                return self.substitute(raw_arg)
            return ""
        self.seen.append(Variable(name, required=True))
        if (op == ":?" and empty) or (op == "?" and unset):
            raise ConfigError(f"required variable {name} is missing a value: {self.substitute(raw_arg)}")
        return value


def _matching_brace(text: str, start: int) -> int:
    depth, i = 1, start
    while i < len(text):
        c = text[i]
        if c == "$" and text[i + 1:i + 2] == "$":
            i += 2
            continue
        if c == "$" and text[i + 1:i + 2] == "{":
            depth += 1
            i += 2
            continue
        if c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise InterpolationError("unterminated")


def _copy_substituted(data: Any, substitute) -> Any:
    """Hot path of interpolate_tree: no key paths (they only matter for an error)."""
    cls = data.__class__
    if cls is str:
        return substitute(data) if "$" in data else data
    if cls is dict:
        return {k: _copy_substituted(v, substitute) for k, v in data.items()}
    if cls is list:
        return [_copy_substituted(v, substitute) for v in data]
    if isinstance(data, Reset):
        return type(data)(_copy_substituted(data.value, substitute))
    if isinstance(data, str) and "$" in data:
        return substitute(data)
    return data


def interpolate_tree(data: Any, interp: Interpolator, *, file: str = "", lines=None,
                     path: str = "") -> Any:
    """Return a copy of ``data`` with every string value interpolated."""
    seen = len(interp.seen)
    try:
        return _copy_substituted(data, interp.substitute)
    except (InterpolationError, ConfigError):
        del interp.seen[seen:]                  # walk again, naming the value that fails
    return _interpolate_at(data, interp, file=file, lines=lines, path=path)


def _interpolate_at(data: Any, interp: Interpolator, *, file: str, lines, path: str) -> Any:
    if isinstance(data, dict):
        return {k: _interpolate_at(v, interp, file=file, lines=lines,
                                   path=f"{path}.{k}" if path else str(k))
                for k, v in data.items()}
    if isinstance(data, list):
        return [_interpolate_at(v, interp, file=file, lines=lines, path=f"{path}[{i}]")
                for i, v in enumerate(data)]
    if isinstance(data, Reset):
        return type(data)(_interpolate_at(data.value, interp, file=file, lines=lines, path=path))
    if isinstance(data, str) and "$" in data:
        try:
            return interp.substitute(data)
        except InterpolationError:
            dotted = re.sub(r"\[\d+\]", "", path)
            line = lines(path) if callable(lines) else None
            raise ConfigError([Issue(
                f"invalid interpolation format for {dotted}.\nYou may need to escape any $ with "
                f"another $.\n{data}", file=file, path=path, line=line)]) from None
        except ConfigError as e:
            line = lines(path) if callable(lines) else None
            raise ConfigError([Issue(str(e), file=file, path=path, line=line)]) from None
    return data
