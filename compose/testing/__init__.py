"""Test helpers shipped with pycompose (an in-memory engine for fast, daemonless tests)."""
