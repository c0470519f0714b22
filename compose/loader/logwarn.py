"""Warnings on stderr the way Docker Compose prints them (logrus' text formatter).

stderr is a terminal: ``\\x1b[33mWARN\\x1b[0m[0000] <message padded to 44> `` (colored level,
seconds since start). Otherwise: ``time="<RFC3339>" level=warning msg=<message>``, the message
quoted like Go's ``%q`` unless it only holds ``[A-Za-z0-9-._/@^+]``."""
from __future__ import annotations

import os
import re
import sys
import time

_STARTED = time.monotonic()
_PLAIN = re.compile(r"[A-Za-z0-9\-._/@^+]*")
_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
               "\v": "\\v", '"': '\\"', "\\": "\\\\"}


def go_quote(text: str) -> str:
    """Go's strconv.Quote: escapes, \\xNN for ASCII controls, \\uNNNN/\\UNNNNNNNN for other
    unprintable runes; printable Unicode kept as is."""
    out = ['"']
    for char in text:
        escaped = _GO_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char.isprintable():
            out.append(char)
        else:
            code = ord(char)
            if 0xDC80 <= code <= 0xDCFF:        # an undecodable byte (surrogateescape)
                out.append(f"\\x{code - 0xDC00:02x}")
                continue
            out.append(f"\\x{code:02x}" if code < 0x80 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def rfc3339_now() -> str:
    """Local time like Go's time.RFC3339 (``Z`` for UTC, else ``+hh:mm``)."""
    now = time.localtime()
    offset = now.tm_gmtoff or 0
    if offset == 0:
        zone = "Z"
    else:
        sign = "+" if offset > 0 else "-"
        zone = f"{sign}{abs(offset) // 3600:02d}:{abs(offset) % 3600 // 60:02d}"
    return time.strftime("%Y-%m-%dT%H:%M:%S", now) + zone


def format_warning(message: str, tty: bool) -> str:
    """One warning line (with its newline) as logrus writes it to a terminal or not."""
    message = message[:-1] if message.endswith("\n") else message
    if tty:
        seconds = int(time.monotonic() - _STARTED)
        return f"\x1b[33mWARN\x1b[0m[{seconds:04d}] {message:<44} \n"
    value = message if _PLAIN.fullmatch(message) else go_quote(message)
    return f'time="{rfc3339_now()}" level=warning msg={value}\n'


def warn(message: str, stream=None) -> None:
    """Write ``message`` as a Docker Compose warning to ``stream`` (default: sys.stderr)."""
    stream = stream if stream is not None else sys.stderr
    try:
        tty = os.isatty(stream.fileno())
    except (AttributeError, OSError, ValueError):
        tty = False
    stream.write(format_warning(message, tty))
