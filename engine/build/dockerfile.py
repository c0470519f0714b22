"""Dockerfile text -> a list of raw instruction nodes (the lexical layer).

    parse_nodes(text, filename="Dockerfile") -> ParsedFile(directives, escape, nodes)

Handles, like BuildKit's ``frontend/dockerfile/parser``:
  * parser directives at the very top (``# syntax=``, ``# escape=\\`` or ``# escape=```,
    ``# check=``); they stop at the first comment, blank line or instruction;
  * comments (``#`` first non-blank character) anywhere, also inside continued lines;
  * line continuations (the escape character at the end of a line, trailing blanks allowed);
  * heredocs on RUN / COPY / ADD (``<<EOF``, ``<<-EOF``, ``<<"EOF"``, several per line);
  * flags (``--name=value``) before the arguments;
  * unknown instructions, with a "did you mean" suggestion.
Errors are BuildError("Dockerfile:<line>: <message>").
"""
from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field

from ..errors import BuildError
from .shellwords import split_words

INSTRUCTIONS = ("add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from",
                "healthcheck", "label", "maintainer", "onbuild", "run", "shell",
                "stopsignal", "user", "volume", "workdir")
HEREDOC_INSTRUCTIONS = ("run", "copy", "add")
_DIRECTIVE_RE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_HEREDOC_RE = re.compile(r"^<<(-?)(.+)$")


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str             # with its trailing newline(s), tabs stripped for <<-
    expand: bool             # False when the delimiter was quoted
    chomp: bool = False      # <<- form


@dataclass(frozen=True)
class Node:
    """One instruction as written."""

    cmd: str                                   # lower-case instruction name
    rest: str                                  # text after the name and flags (continuations joined)
    flags: tuple[tuple[str, str | None], ...]  # (name, value or None for a bare --flag)
    line: int                                  # first line (1-based)
    end_line: int
    original: str                              # the logical line as written (joined)
    heredocs: tuple[Heredoc, ...] = ()
    json_args: tuple[str, ...] | None = None   # set when ``rest`` is a JSON array of strings


@dataclass
class ParsedFile:
    filename: str
    directives: dict = field(default_factory=dict)
    escape: str = "\\"
    nodes: list = field(default_factory=list)


def parse_error(filename: str, line: int, message: str) -> BuildError:
    return BuildError(f"{filename}:{line}: {message}")


def _read_directives(lines: list[str], filename: str) -> tuple[dict, int]:
    directives: dict = {}
    i = 0
    while i < len(lines):
        m = _DIRECTIVE_RE.match(lines[i].strip()) if lines[i].lstrip().startswith("#") else None
        if not m:
            break
        key, value = m.group(1).lower(), m.group(2)
        if key not in ("syntax", "escape", "check"):
            break                               # an ordinary comment ends the directives
        if key in directives:
            raise parse_error(filename, i + 1, f"only one {key} parser directive can be used")
        directives[key] = value
        i += 1
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise parse_error(filename, 1, f"invalid escape token '{escape}' does not match ` or \\")
    return directives, i


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _strip_continuation(line: str, escape: str) -> tuple[str, bool]:
    """(line without a trailing escape, whether the line continues)."""
    stripped = line.rstrip(" \t\r")
    if stripped.endswith(escape):
        return stripped[:-1], True
    return line.rstrip("\r"), False


def parse_nodes(text: str, filename: str = "Dockerfile") -> ParsedFile:
    """Split a Dockerfile into raw nodes (see module docstring)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    directives, i = _read_directives(lines, filename)
    pf = ParsedFile(filename, directives, directives.get("escape", "\\"))
    while i < len(lines):
        raw = lines[i]
        if not raw.strip() or _is_comment(raw):
            i += 1
            continue
        start = i
        logical, cont = _strip_continuation(raw.lstrip(), pf.escape)
        i += 1
        while cont and i < len(lines):
            nxt = lines[i]
            i += 1
            if _is_comment(nxt) or not nxt.strip():
                continue
            piece, cont = _strip_continuation(nxt, pf.escape)
            logical += piece
        node, i = _make_node(logical, start + 1, i, lines, pf)
        pf.nodes.append(node)
    return pf


def _make_node(logical: str, line: int, i: int, lines: list[str], pf: ParsedFile):
    parts = logical.strip().split(None, 1)
    word = parts[0]
    cmd = word.lower()
    rest = parts[1] if len(parts) > 1 else ""
    if cmd not in INSTRUCTIONS:
        raise parse_error(pf.filename, line, _unknown_instruction(word))
    flags, rest = _split_flags(rest, cmd, pf, line)
    heredocs: tuple = ()
    if cmd in HEREDOC_INSTRUCTIONS and "<<" in rest:
        heredocs, i = _read_heredocs(rest, i, lines, pf, line)
    json_args = _json_array(rest)
    node = Node(cmd=cmd, rest=rest.strip(), flags=tuple(flags), line=line, end_line=i,
                original=logical.strip(), heredocs=heredocs, json_args=json_args)
    return node, i


def _unknown_instruction(word: str) -> str:
    msg = f"unknown instruction: {word}"
    close = difflib.get_close_matches(word.lower(), INSTRUCTIONS, n=1, cutoff=0.6)
    if close:
        msg += f" (did you mean {close[0].upper()}?)"
    return msg


def _split_flags(rest: str, cmd: str, pf: ParsedFile, line: int):
    """Leading ``--name[=value]`` words -> flags; the remaining text untouched."""
    flags = []
    text = rest.lstrip()
    while text.startswith("--"):
        consumed = _consumed_length(text)
        token = text[:consumed]
        if token == "--":
            text = text[consumed:].lstrip()
            break
        name, eq, value = token[2:].partition("=")
        if not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9-]*", name):
            raise parse_error(pf.filename, line, f"{cmd.upper()}: invalid flag {token!r}")
        flags.append((name.lower(), value.replace('"', "").replace("'", "") if eq else None))
        text = text[consumed:].lstrip()
    return flags, text


def _consumed_length(text: str) -> int:
    """Length of the raw prefix of ``text`` that makes up the first word ``token``."""
    i = 0
    quote = ""
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in " \t":
            break
        i += 1
    return i


def _json_array(rest: str):
    text = rest.strip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _read_heredocs(rest: str, i: int, lines: list[str], pf: ParsedFile, line: int):
    found = []
    for word in split_words(rest, pf.escape):
        m = _HEREDOC_RE.match(word)
        if not m:
            continue
        chomp, name = m.group(1) == "-", m.group(2)
        quoted = len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'"
        if quoted:
            name = name[1:-1]
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
            continue
        found.append((name, chomp, not quoted))
    docs = []
    for name, chomp, expand in found:
        body = []
        while True:
            if i >= len(lines):
                raise parse_error(pf.filename, line, f"unterminated heredoc {name!r}")
            text = lines[i]
            i += 1
            check = text.lstrip("\t") if chomp else text
            if check.rstrip("\r") == name:
                break
            body.append((text.lstrip("\t") if chomp else text) + "\n")
        docs.append(Heredoc(name=name, content="".join(body), expand=expand, chomp=chomp))
    return tuple(docs), i
