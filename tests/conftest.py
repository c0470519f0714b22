"""Shared pytest configuration. Fixtures live in tests/fixtures/<topic>.py, one module per
topic, loaded here as plugins so that each topic's owner edits only its own module."""
pytest_plugins = [
    "tests.fixtures.base",
    "tests.fixtures.busybox",
]
