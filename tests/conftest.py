"""Shared pytest configuration. Fixtures live in tests/fixtures/<topic>.py, one module per
topic; every module there is loaded as a plugin, so each topic's owner edits only its own."""
from pathlib import Path

pytest_plugins = sorted(
    f"tests.fixtures.{p.stem}"
    for p in (Path(__file__).parent / "fixtures").glob("*.py")
    if p.stem != "__init__"
)
