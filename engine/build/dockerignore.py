""".dockerignore: reading the file and matching paths, with Docker's exact rules.

    patterns = read_patterns(text)                 # cleaned, "!" kept as a prefix
    m = Matcher(patterns)
    m.matches("a/b/c.txt")                          # True when the path is excluded
    find_ignore_file(context_dir, dockerfile_path)  # <Dockerfile>.dockerignore wins over .dockerignore

Rules (moby/patternmatcher and the "dockerignore file" reference):
  * a line starting with ``#`` is a comment; lines are trimmed; blank lines are skipped;
  * ``!`` inverts (re-includes); the last matching pattern wins;
  * each pattern is cleaned like Go's filepath.Clean, a leading ``/`` is dropped;
  * ``*`` matches any run of non-separator characters, ``?`` one non-separator character,
    ``[...]`` a character class, ``\\`` escapes; ``**`` matches any number of directories
    (including none); ``**`` at the end matches everything below;
  * a pattern that matches a parent directory of a path also matches the path.
"""
from __future__ import annotations

import posixpath
import re
from pathlib import Path

_REGEX_SPECIALS = ".+()|{}$"


def clean(path: str) -> str:
    """Go's filepath.Clean for slash paths ("" -> ".")."""
    if not path:
        return "."
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


def read_patterns(text: str) -> list[str]:
    patterns = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append(("!" if invert else "") + pattern)
    return patterns


def _compile(pattern: str) -> re.Pattern:
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                while i < n and pattern[i] == "*":
                    i += 1
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(.*/)?")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            i += 1
            out.append(re.escape(pattern[i]) if i < n else "\\\\")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append("\\[")
            else:
                body = pattern[i + 1:end]
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif ch in _REGEX_SPECIALS:
            out.append("\\" + ch)
        else:
            out.append(ch)
        i += 1
    out.append("$")
    return re.compile("".join(out), re.S)


class Matcher:
    def __init__(self, patterns: list[str]) -> None:
        self.rules = []
        for p in patterns:
            exclusion = p.startswith("!")
            body = p[1:] if exclusion else p
            self.rules.append((exclusion, _compile(body), body))
        self.has_exclusions = any(ex for ex, _, _ in self.rules)

    def matches(self, path: str) -> bool:
        """True when ``path`` (relative to the context) is excluded by the patterns."""
        path = clean(path)
        parents = path.split("/")[:-1]
        matched = False
        for exclusion, rx, _body in self.rules:
            if exclusion != matched:
                continue
            hit = bool(rx.match(path))
            if not hit and parents:
                for i in range(len(parents)):
                    if rx.match("/".join(parents[:i + 1])):
                        hit = True
                        break
            if hit:
                matched = not exclusion
        return matched

    def may_reinclude_under(self, dir_path: str) -> bool:
        """Whether an exclusion pattern could re-include something below ``dir_path``."""
        if not self.has_exclusions:
            return False
        prefix = clean(dir_path) + "/"
        for exclusion, _rx, body in self.rules:
            if not exclusion:
                continue
            literal = re.split(r"[*?\[\\]", body, maxsplit=1)[0]
            if literal.startswith(prefix) or prefix.startswith(literal) or not literal:
                return True
        return False


def find_ignore_file(context: Path, dockerfile: Path | None) -> Path | None:
    """<Dockerfile name>.dockerignore next to the Dockerfile wins over <context>/.dockerignore."""
    if dockerfile is not None:
        specific = dockerfile.parent / (dockerfile.name + ".dockerignore")
        if specific.is_file():
            return specific
    default = context / ".dockerignore"
    return default if default.is_file() else None


def load_matcher(context: Path, dockerfile: Path | None) -> Matcher:
    path = find_ignore_file(context, dockerfile)
    if path is None:
        return Matcher([])
    return Matcher(read_patterns(path.read_text(errors="replace")))
