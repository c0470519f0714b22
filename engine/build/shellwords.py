"""Dockerfile word processing: quote removal and variable substitution (Docker's rules).

    expand(word, env, escape="\\")          -> str         one word, quotes removed
    expand_words(text, env, escape="\\")    -> list[str]   split on unquoted blanks, each expanded
    split_words(text, escape="\\")          -> list[str]   split only (quotes kept), for ENV/LABEL/ARG

Rules (moby/buildkit ``shell/lex.go``):
  * outside quotes the escape character makes the next character literal;
  * ``'...'`` is literal; ``"..."`` expands ``$`` and honours the escape only before
    ``"``, ``$`` and the escape character itself (otherwise the escape is kept);
  * ``$NAME``, ``${NAME}``, ``${NAME:-word}``, ``${NAME-word}``, ``${NAME:+word}``,
    ``${NAME+word}``, ``${NAME:?msg}``, ``${NAME?msg}``, ``${NAME#pat}``, ``${NAME##pat}``,
    ``${NAME%pat}``, ``${NAME%%pat}``, ``${NAME/pat/repl}``, ``${NAME//pat/repl}``;
  * an unset variable expands to the empty string; a ``$`` not followed by a name is literal.
"""
from __future__ import annotations

import fnmatch
import re

from ..errors import BuildError

_SPECIAL_PARAMS = "@*#?-$!0"


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self, ahead: int = 0) -> str:
        i = self.pos + ahead
        return self.text[i] if i < len(self.text) else ""

    def next(self) -> str:
        ch = self.peek()
        if ch:
            self.pos += 1
        return ch


class _Lexer:
    def __init__(self, text: str, env: dict | None, escape: str, split: bool) -> None:
        self.sc = _Scanner(text)
        self.env = env
        self.escape = escape
        self.split = split

    # --- words ---------------------------------------------------------------------------
    def words(self) -> list[str]:
        words: list[str] = []
        cur: list[str] = []
        in_word = False
        while True:
            ch = self.sc.peek()
            if ch == "":
                break
            if self.split and ch in " \t\r\n":
                self.sc.next()
                if in_word:
                    words.append("".join(cur))
                    cur, in_word = [], False
                continue
            in_word = True
            cur.append(self._unit(stop=""))
        if in_word:
            words.append("".join(cur))
        return words

    def _unit(self, stop: str) -> str:
        """Process one lexical unit at the scanner position."""
        ch = self.sc.next()
        if ch == self.escape:
            nxt = self.sc.next()
            return nxt if self.env is not None else ch + nxt
        if ch == "'":
            return self._single_quote()
        if ch == '"':
            return self._double_quote()
        if ch == "$" and self.env is not None:
            return self._dollar()
        return ch

    def _single_quote(self) -> str:
        out = []
        while True:
            ch = self.sc.next()
            if ch == "":
                raise BuildError("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                break
            out.append(ch)
        body = "".join(out)
        return body if self.env is not None else "'" + body + "'"

    def _double_quote(self) -> str:
        out = []
        keep = self.env is None
        while True:
            ch = self.sc.next()
            if ch == "":
                raise BuildError("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                break
            if ch == "$" and not keep:
                out.append(self._dollar())
            elif ch == self.escape:
                nxt = self.sc.next()
                if keep:
                    out.append(ch + nxt)
                elif nxt in ('"', "$", self.escape):
                    out.append(nxt)
                else:
                    out.append(ch + nxt)
            else:
                out.append(ch)
        body = "".join(out)
        return '"' + body + '"' if keep else body

    # --- expansion -----------------------------------------------------------------------
    def _dollar(self) -> str:
        if self.sc.peek() != "{":
            name = self._name()
            if not name:
                return "$"
            return self.env.get(name, "")
        self.sc.next()                       # '{'
        name = self._name()
        if not name:
            raise BuildError(f"bad substitution in {self.sc.text!r}: missing variable name")
        ch = self.sc.next()
        if ch == "}":
            return self.env.get(name, "")
        if ch == ":" and self.sc.peek() in "-+?":
            op = ":" + self.sc.next()
        elif ch in "-+?":
            op = ch
        elif ch in "#%":
            op = ch + (self.sc.next() if self.sc.peek() == ch else "")
        elif ch == "/":
            op = "/" + (self.sc.next() if self.sc.peek() == "/" else "")
        else:
            raise BuildError(f"unsupported modifier ({ch}) in substitution of {self.sc.text!r}")
        return self._modifier(name, op)

    def _modifier(self, name: str, op: str) -> str:
        if op.startswith("/"):
            pattern = self._word_until("/}")
            repl = ""
            if self.sc.text[self.sc.pos - 1] == "/":
                repl = self._word_until("}")
            return _replace(self.env.get(name, ""), pattern, repl, every=(op == "//"))
        word = self._word_until("}")
        value = self.env.get(name)
        if op == ":-":
            return value if value else word
        if op == "-":
            return value if value is not None else word
        if op == ":+":
            return word if value else ""
        if op == "+":
            return word if value is not None else ""
        if op in (":?", "?"):
            if (op == ":?" and not value) or value is None:
                raise BuildError(f"{name}: {word or 'is not allowed to be unset'}")
            return value
        return _trim(value or "", word, op)

    def _word_until(self, stops: str) -> str:
        out = []
        while True:
            ch = self.sc.peek()
            if ch == "":
                raise BuildError(f"missing '}}' in substitution of {self.sc.text!r}")
            if ch in stops:
                self.sc.next()
                return "".join(out)
            out.append(self._unit(stop=stops))

    def _name(self) -> str:
        ch = self.sc.peek()
        if ch.isdigit():
            out = []
            while self.sc.peek().isdigit():
                out.append(self.sc.next())
            return "".join(out)
        if ch and ch in _SPECIAL_PARAMS and ch != "-":
            return self.sc.next()
        out = []
        while True:
            ch = self.sc.peek()
            if ch and (ch.isalnum() or ch == "_"):
                out.append(self.sc.next())
            else:
                return "".join(out)


def _glob_regex(pattern: str) -> str:
    return fnmatch.translate(pattern)[4:-3]   # strip "(?s:" and ")\Z"


def _trim(value: str, pattern: str, op: str) -> str:
    """${V#p} ${V##p} (prefix) and ${V%p} ${V%%p} (suffix) with glob patterns."""
    rx = re.compile(f"(?s){_glob_regex(pattern)}")
    n = len(value)
    if op in ("#", "##"):
        ends = range(n, -1, -1) if op == "##" else range(n + 1)
        for end in ends:
            if rx.fullmatch(value[:end]):
                return value[end:]
        return value
    starts = range(n + 1) if op == "%%" else range(n, -1, -1)
    for start in starts:
        if rx.fullmatch(value[start:]):
            return value[:start]
    return value


def _replace(value: str, pattern: str, repl: str, every: bool) -> str:
    rx = re.compile(f"(?s){_glob_regex(pattern)}")
    return rx.sub(lambda _m: repl, value, count=0 if every else 1)


def expand(word: str, env: dict, escape: str = "\\") -> str:
    """Expand variables in one word and remove its quotes (Docker's ProcessWord)."""
    return "".join(_Lexer(word, env, escape, split=False).words() or [""])


def expand_words(text: str, env: dict, escape: str = "\\") -> list[str]:
    """Split ``text`` on unquoted blanks and expand each word (Docker's ProcessWords)."""
    return _Lexer(text, env, escape, split=True).words()


def split_words(text: str, escape: str = "\\") -> list[str]:
    """Split on unquoted blanks, keeping quotes and escapes (for ENV/LABEL/ARG pairs)."""
    return _Lexer(text, None, escape, split=True).words()
