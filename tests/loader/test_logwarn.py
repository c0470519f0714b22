"""Warnings printed like Docker Compose's logrus text formatter (compose/loader/logwarn.py):
the terminal form on a tty, `time=... level=warning msg=...` otherwise. The expected lines are
Docker Compose v2.40.3's, captured with `script` (tty) and a pipe."""
import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

from compose.loader import logwarn
from compose.loader.logwarn import format_warning, go_quote, rfc3339_now

REPO = Path(__file__).resolve().parents[2]
UNSET = 'The "NOPE" variable is not set. Defaulting to a blank string.'
# Docker Compose on a terminal (ESC[33m WARN ESC[0m [seconds] message, a space, newline)
DOCKER_TTY_LINE = b'\x1b[33mWARN\x1b[0m[0000] The "NOPE" variable is not set. Defaulting to a blank string. \n'


def test_plain_form_quotes_like_go():
    line = format_warning(UNSET, tty=False)
    assert re.fullmatch(r'time="[^"]+" level=warning msg="The \\"NOPE\\" variable is not set\. '
                        r'Defaulting to a blank string\."\n', line), line


def test_go_quote_escapes():
    assert go_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert go_quote("tab\there\nnl\r\a\b\f\v") == '"tab\\there\\nnl\\r\\a\\b\\f\\v"'
    assert go_quote("\x01\x7f") == '"\\x01\\x7f"'
    assert go_quote("é ü 日本") == '"é ü 日本"'                  # printable Unicode kept
    assert go_quote("nb\u00a0sp\u2028") == '"nb\\u00a0sp\\u2028"'
    assert go_quote("\U000e0001") == '"\\U000e0001"'
    assert go_quote("bad\udcffbyte") == '"bad\\xffbyte"'          # undecodable byte


def test_plain_message_is_not_quoted():
    assert format_warning("simple-word_1.2/x@y^z+", tty=False).endswith(" msg=simple-word_1.2/x@y^z+\n")
    assert format_warning("", tty=False).endswith(" msg=\n")


def test_terminal_form_pads_like_logrus(monkeypatch):
    monkeypatch.setattr(logwarn, "_STARTED", time.monotonic())      # [0000]: seconds since start
    assert format_warning("short", tty=True) == "\x1b[33mWARN\x1b[0m[0000] " + "short".ljust(44) + " \n"
    assert format_warning(UNSET, tty=True).encode() == DOCKER_TTY_LINE


def test_rfc3339_time_zone():
    code = "from compose.loader.logwarn import rfc3339_now; print(rfc3339_now())"
    for tz, suffix in (("UTC", "Z"), ("Asia/Kolkata", "+05:30")):
        out = subprocess.run([sys.executable, "-c", code], env={"TZ": tz, "PYTHONPATH": str(REPO)},
                             capture_output=True, text=True, check=True).stdout.strip()
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d" + re.escape(suffix), out), out
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", rfc3339_now())


def _config_stderr(tmp_path, on_tty: bool) -> bytes:
    (tmp_path / "compose.yaml").write_text('services:\n  a:\n    image: "x${NOPE}"\n')
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    program = [sys.executable, "-c", "import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); "
               "runpy.run_module('compose', run_name='__main__', alter_sys=True)", str(REPO),
               "config", "-q"]
    if not on_tty:
        return subprocess.run(program, cwd=tmp_path, env=env, capture_output=True, check=True).stderr
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(program, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                stderr=slave, stdin=subprocess.DEVNULL)
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:                     # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=60) == 0
    finally:
        os.close(master)
    return b"".join(chunks).replace(b"\r\n", b"\n")


def test_config_warns_in_terminal_form_on_a_tty(tmp_path):
    assert _config_stderr(tmp_path, on_tty=True) == DOCKER_TTY_LINE


def test_config_warns_in_logrus_text_form_otherwise(tmp_path):
    err = _config_stderr(tmp_path, on_tty=False).decode()
    assert re.fullmatch(r'time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)" level=warning '
                        r'msg="The \\"NOPE\\" variable is not set\. Defaulting to a blank string\."\n',
                        err), err


def test_terminal_form_counts_seconds_since_start(monkeypatch):
    monkeypatch.setattr(logwarn, "_STARTED", time.monotonic() - 75.5)
    assert format_warning("x", tty=True).startswith("\x1b[33mWARN\x1b[0m[0075] x")
