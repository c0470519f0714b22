"""Shared helpers of the conformance suite: reading case.json, the clean environment, running
a `config` command in a case directory, and making absolute paths portable.

A case is a directory tests/conformance/cases/<NNN-name>/ with the project files, case.json and
the recorded Docker Compose outputs (see docs/conformance.md)."""
from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

CASES_DIR = Path(__file__).resolve().parent / "cases"
REPO_ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = "$CASE_DIR"
# Paths above the case directory (e.g. a bind of "../up") are recorded relative to the
# checkout, so the suite passes in any clone.
REPO_PLACEHOLDER = "$REPO_DIR"
REPO_DIR = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Case:
    """One conformance case, as described by its case.json."""

    name: str
    directory: Path
    args: list[str] = field(default_factory=list)
    subcommand_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "."
    expect: str = "ok"
    stdin: str | None = None
    compare: str = "exact"
    warnings: bool = False         # also compare the warnings on stderr (expected.warnings.txt)

    @property
    def output_is_json(self) -> bool:
        joined = " ".join(self.subcommand_args)
        return "--format json" in joined or "--format=json" in joined

    @property
    def expected_ok_file(self) -> Path:
        return self.directory / ("expected.json" if self.output_is_json else "expected.txt")

    def expand(self, text: str) -> str:
        """Substitute the case directory placeholder in an argument or env value."""
        return text.replace(PLACEHOLDER, str(self.directory))


def case_names() -> list[str]:
    return sorted(p.name for p in CASES_DIR.iterdir() if (p / "case.json").is_file())


def load_case(name: str) -> Case:
    directory = CASES_DIR / name
    raw = json.loads((directory / "case.json").read_text(encoding="utf-8"))
    known = {"args", "subcommand_args", "env", "cwd", "expect", "stdin", "compare", "description",
             "warnings"}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"{name}/case.json: unknown keys {sorted(unknown)}")
    raw.pop("description", None)
    case = Case(name=name, directory=directory, **raw)
    if case.compare not in ("exact", "unordered-lines", "json-text"):
        raise ValueError(f"{name}/case.json: compare must be 'exact', 'unordered-lines' or 'json-text'")
    return case


def clean_env(case: Case, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Only PATH and HOME from the host, plus the case's env (placeholders expanded)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root")}
    env.update(extra or {})
    env.update({key: case.expand(value) for key, value in case.env.items()})
    return env


def command_line(case: Case, program: list[str]) -> list[str]:
    args = [case.expand(a) for a in case.args]
    sub = [case.expand(a) for a in case.subcommand_args]
    return [*program, *args, "config", *sub]


def run(case: Case, program: list[str], extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``program <args> config <subcommand_args>`` in the case's cwd with the clean env."""
    stdin_data = None
    if case.stdin:
        stdin_data = (case.directory / case.stdin).read_text(encoding="utf-8")
    return subprocess.run(
        command_line(case, program),
        cwd=case.directory / case.cwd,
        env=clean_env(case, extra_env),
        input=stdin_data,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )


def portable(case: Case, text: str) -> str:
    """Replace the absolute case directory by the placeholder (for recording)."""
    return text.replace(str(case.directory), PLACEHOLDER).replace(str(REPO_DIR), REPO_PLACEHOLDER)


def localize(case: Case, text: str) -> str:
    """Replace the placeholder by this checkout's case directory (for comparing)."""
    return text.replace(PLACEHOLDER, str(case.directory)).replace(REPO_PLACEHOLDER, str(REPO_DIR))


WARNINGS_FILE = "expected.warnings.txt"
# logrus' text formatter when stderr is not a terminal; the time value is replaced by TIME_HOLE
_LOGRUS_LINE = re.compile(r'^time="([^"]*)" (level=\w+ msg=.*)$')
_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
TIME_HOLE = "<TIME>"


def warning_lines(stderr: str) -> list[str]:
    """The warning lines of a `config` run, sorted (Docker prints some in Go map order), with
    a valid RFC 3339 time value replaced by <TIME>; everything else about the line (format,
    level, quoting of the message) must match the recording. Lines in logrus' terminal form
    (`WARN[0000] ...`) are kept as they are, so they never match a recording."""
    found = []
    for line in stderr.splitlines():
        match = _LOGRUS_LINE.match(line)
        if match and _RFC3339.match(match.group(1)):
            found.append(f'time="{TIME_HOLE}" {match.group(2)}')
        elif match or "WARN[" in line or "level=warning" in line:
            found.append(line)
    return sorted(found)


def warnings_come_first(stderr: str) -> bool:
    """True when no warning line follows another line (an error) on stderr."""
    kinds = ["w" if warning_lines(line) else "e" for line in stderr.splitlines() if line.strip()]
    return "ew" not in "".join(kinds)
