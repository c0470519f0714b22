"""The typer CLI. One small module per command (or command group); renderers in render.py.

Command modules import only typer and light modules at top level; everything heavy
(yaml, jsonschema, networkx, httpx, the engine) is imported inside the command function.
"""
