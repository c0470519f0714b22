"""YAML emitter that writes documents the way go-yaml v3 (Docker Compose) does."""
from __future__ import annotations

import math
import re
from typing import Any

_OLD_BOOL = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON",
             "off", "Off", "OFF"}
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d?-\d\d?([Tt ]|$)")


def _needs_double_quotes(text: str) -> bool:
    from .yamlread import resolve_plain
    if text in _OLD_BOOL or _BASE60.match(text) or _TIMESTAMP.match(text):
        return True
    value = resolve_plain(text)
    return not isinstance(value, str)


def _dumper():
    import yaml

    base = yaml.SafeDumper                     # Python emitter: libyaml rules, our hooks
    class GoDumper(base):
        def increase_indent(self, flow=False, indentless=False):
            return super().increase_indent(flow, False)

    def represent_str(dumper, data):
        style = None
        if "\n" in data:
            style = "|"
        elif any(ord(c) > 0xFFFF for c in data):
            style = '"'
        elif _needs_double_quotes(data):
            style = '"'
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    def represent_float(dumper, data):
        if math.isnan(data):
            text = ".nan"
        elif math.isinf(data):
            text = ".inf" if data > 0 else "-.inf"
        elif data.is_integer() and abs(data) < 1e21:
            text = str(int(data))
        else:
            text = repr(data)
            if "e" in text:
                mant, exp = text.split("e")
                text = f"{mant}e{exp[0]}{exp[1:].lstrip('0').rjust(2, '0')}" if exp[0] in "+-" \
                    else f"{mant}e+{exp.lstrip('0').rjust(2, '0')}"
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)

    def represent_none(dumper, data):
        return dumper.represent_scalar("tag:yaml.org,2002:null", "null")

    def process_scalar(self):
        # go-yaml escapes characters outside the BMP (\U0001F680) in double quotes
        value = getattr(self.event, "value", "") or ""
        astral = any(ord(c) > 0xFFFF for c in value)
        saved = self.allow_unicode
        if astral:
            self.allow_unicode = False
        try:
            base.process_scalar(self)
        finally:
            self.allow_unicode = saved

    GoDumper.process_scalar = process_scalar
    GoDumper.add_representer(str, represent_str)
    GoDumper.add_representer(float, represent_float)
    GoDumper.add_representer(type(None), represent_none)
    GoDumper.ignore_aliases = lambda self, data: True
    return GoDumper


_DUMPER = None


def dump(data: Any) -> str:
    import yaml
    global _DUMPER
    if _DUMPER is None:
        _DUMPER = _dumper()
    return yaml.dump(data, Dumper=_DUMPER, default_flow_style=False, sort_keys=False,
                     allow_unicode=True, indent=2, width=float("inf"))
