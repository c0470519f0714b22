"""PyYAML, imported cheaply, and a node composer that skips PyYAML's tag resolver.

* Importing ``yaml`` compiles ~40 regular expressions at class-definition time; one of them
  (the reader's NON_PRINTABLE, a negated class spanning all of Unicode) alone costs ~30 ms.
  The loader only uses the C parser and the emitter's scalar analysis, which never touch most
  of them, so ``yaml_module()`` imports PyYAML with ``re.compile`` returning lazy patterns that
  compile on first use (behaviour unchanged, the cost is paid only if a pattern is used).
* ``compose_nodes(text)`` uses libyaml's parser (``yaml._yaml.CParser``) with a ``resolve``
  that gives every untagged node the default tag of its kind: yamlread resolves plain scalars
  itself (like Go's yaml.v3), so PyYAML's implicit resolvers (a regex per scalar) are not needed.
  Without libyaml it falls back to ``yaml.SafeLoader``.
"""
from __future__ import annotations

import re
import sys

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _LazyPattern:
    """Stands for ``re.compile(pattern, flags)`` until an attribute is first used."""

    def __init__(self, pattern, flags=0) -> None:
        self._args = (pattern, flags)

    def __getattr__(self, name):
        compiled = _real_compile(*self._args)
        value = getattr(compiled, name)
        if callable(value):
            setattr(self, name, value)         # later calls go straight to the real method
        return value


_real_compile = re.compile


def yaml_module():
    """The ``yaml`` package (imported once, with its regexes compiled lazily)."""
    module = sys.modules.get("yaml")
    if module is not None:
        return module
    re.compile = _LazyPattern
    try:
        import yaml
    finally:
        re.compile = _real_compile
    return yaml


_composer = None


def _composer_class():
    global _composer
    if _composer is None:
        yaml = yaml_module()
        try:
            from yaml._yaml import CParser
        except ImportError:                    # no libyaml: PyYAML's pure-Python loader
            _composer = yaml.SafeLoader
            return _composer

        class Composer(CParser):
            def descend_resolver(self, parent, index):
                pass

            def ascend_resolver(self):
                pass

            def resolve(self, kind, value, implicit):
                if kind is yaml.ScalarNode:
                    return _STR
                return _SEQ if kind is yaml.SequenceNode else _MAP

        _composer = Composer
    return _composer


def compose_nodes(text: str) -> list:
    """Every document of ``text`` as a PyYAML node graph (raises yaml.YAMLError)."""
    loader = _composer_class()(text)
    try:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
        return nodes
    finally:
        loader.dispose()
