"""``from compose.cli.ty import typer``: the real typer, or its light stand-in in fast mode.

CLI modules import typer through here so that one set of declarations (typer.Option,
typer.Argument, typer.Typer, ...) serves both ways of running a command:
- normal mode (the default, and whenever anything imports a CLI module on its own):
  ``typer`` is the real typer package;
- fast mode (compose.cli.main while it tries the typer-free dispatcher): ``typer`` is
  compose.cli.tylite, which only records the declarations.

``light_modules()`` switches to fast mode for a block and afterwards restores the CLI
modules that were loaded before (so a process can mix both modes: tests do).
"""
from __future__ import annotations

import sys
from contextlib import contextmanager

_light = False


def __getattr__(name):
    if name == "typer":
        if _light:
            from . import tylite
            return tylite
        import typer
        return typer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_light() -> bool:
    return _light


def _declaring_modules() -> dict:
    """The loaded compose.cli modules that hold a ``typer`` (real or light) at top level."""
    out = {}
    for name, mod in list(sys.modules.items()):
        if name.startswith("compose.cli.") and mod is not None:
            held = getattr(mod, "__dict__", {}).get("typer")
            if held is not None and type(held) is type(sys):
                out[name] = mod
    return out


def _set_loaded(name: str, mod) -> None:
    """Put ``mod`` in sys.modules (or remove ``name`` when None), with the parent package's
    attribute to match (``from . import x`` reads the attribute first)."""
    parent_name, _, child = name.rpartition(".")
    parent = sys.modules.get(parent_name)
    if mod is None:
        sys.modules.pop(name, None)
        if parent is not None and child in parent.__dict__:
            delattr(parent, child)
    else:
        sys.modules[name] = mod
        if parent is not None:
            setattr(parent, child, mod)


@contextmanager
def light_modules():
    """Fast mode for the block: CLI modules imported inside it get tylite as ``typer``."""
    global _light
    saved = _declaring_modules()
    for name in saved:
        _set_loaded(name, None)
    _light = True
    try:
        yield
    finally:
        _light = False
        for name in _declaring_modules():
            _set_loaded(name, None)
        for name, mod in saved.items():
            _set_loaded(name, mod)
