"""Conformance suite: `pycompose config` compared with recorded Docker Compose v2 output."""
