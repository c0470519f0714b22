"""``.env`` files (compose-go dotenv syntax) and the project's interpolation environment.

Syntax: ``KEY=VALUE`` (also ``export KEY=VALUE`` and ``KEY: VALUE``); ``#`` comments (whole
line, or after whitespace in an unquoted value); single quotes are literal; double quotes
support ``\\n \\t \\r \\\\ \\" \\$`` escapes and span lines; unquoted and double-quoted values
are interpolated (``${X:-d}`` ...) against the OS environment first, then earlier keys of the
same file; a bare ``KEY`` takes the value from the OS environment (skipped if unset).
"""
from __future__ import annotations

import re
from typing import Mapping, Optional

from compose.errors import ConfigError, Issue

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "$": "$", "'": "'"}


def parse_dotenv(text: str, *, file: str = "", lookup: Optional[Mapping[str, str]] = None,
                 interpolate: bool = True) -> dict:
    """Parse .env text -> ordered dict. ``lookup`` (OS env) wins inside ${...} references."""
    from .interpolate import Interpolator, InterpolationError
    lookup = lookup or {}
    values: dict = {}
    pos, line_no = 0, 1
    text = text.replace("\r\n", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    while pos < len(text):
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            pos = len(text) if end < 0 else end + 1
            line_no += 1
            continue
        start_line = line_no
        body = line.lstrip()
        if body.startswith("export ") or body.startswith("export\t"):
            body = body[len("export"):].lstrip()
        m = _KEY.match(body)
        if not m:
            raise ConfigError([Issue(f"unexpected character {body[:1]!r} in variable name",
                                     file=file, line=start_line)])
        key, rest = m.group(0), body[m.end():]
        rest_stripped = rest.lstrip(" \t")
        if not rest_stripped or rest_stripped.startswith("#"):
            if key in lookup:
                values[key] = lookup[key]
            pos = len(text) if end < 0 else end + 1
            line_no += 1
            continue
        if rest_stripped[0] not in "=:":
            raise ConfigError([Issue(f"unexpected character {rest_stripped[:1]!r} after variable "
                                     f"name {key!r}", file=file, line=start_line)])
        value_start = pos + (len(line) - len(rest_stripped)) + 1
        raw, quote, pos, consumed_lines = _read_value(text, value_start, file, start_line)
        line_no += consumed_lines
        if quote == "'" or not interpolate:
            values[key] = raw
        else:
            env = dict(values)
            env.update(lookup)
            try:
                values[key] = Interpolator(env).substitute(raw) if "$" in raw else raw
            except InterpolationError:
                raise ConfigError([Issue(f"invalid interpolation format in value of {key}: {raw}",
                                         file=file, line=start_line)]) from None
    return values


def _read_value(text: str, pos: int, file: str, line_no: int) -> tuple:
    """-> (value, quote char or '', next position, number of lines consumed)."""
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    if pos < len(text) and text[pos] in "'\"":
        quote = text[pos]
        out, i = [], pos + 1
        while i < len(text):
            c = text[i]
            if c == "\\" and quote == '"' and i + 1 < len(text):
                nxt = text[i + 1]
                out.append(_ESCAPES.get(nxt, "\\" + nxt))
                i += 2
                continue
            if c == quote:
                end = text.find("\n", i)
                nxt_pos = len(text) if end < 0 else end + 1
                return "".join(out), quote, nxt_pos, text.count("\n", pos, nxt_pos)
            out.append(c)
            i += 1
        raise ConfigError([Issue(f"unterminated quoted value (missing {quote})", file=file, line=line_no)])
    end = text.find("\n", pos)
    raw = text[pos:] if end < 0 else text[pos:end]
    hash_at = re.search(r"\s#", raw)
    if hash_at:
        raw = raw[:hash_at.start()]
    nxt_pos = len(text) if end < 0 else end + 1
    return raw.strip(), "", nxt_pos, 1


def parse_raw(text: str) -> dict:
    """``format: raw`` env files: KEY=VALUE taken literally (no quotes, escapes, interpolation)."""
    values = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = value
    return values


def read_env_file(path: str, *, lookup: Optional[Mapping[str, str]] = None, required: bool = True,
                  interpolate: bool = True, raw: bool = False) -> dict:
    """Read one env file. Missing optional file -> {}; missing required -> ConfigError."""
    import os
    if os.path.isdir(path):
        raise ConfigError(f"env file {path} is a directory, not a file")
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        if not required:
            return {}
        raise ConfigError(f"env file {path} not found: stat {path}: no such file or directory") from None
    except (OSError, UnicodeError) as e:
        raise ConfigError(f"failed to read env file {path}: {e}") from None
    if raw:
        return parse_raw(text)
    return parse_dotenv(text, file=path, lookup=lookup, interpolate=interpolate)
