"""Dockerfile nodes -> validated stages (the syntax layer).

    df = parse_dockerfile(text, filename="Dockerfile")
    df.global_args          [(name, raw default or None)]  ARGs before the first FROM
    df.stages               [Stage(index, name, base, platform, instructions, line)]
    df.stage_by_ref("build" | "0")

Every instruction is checked here (flags it accepts, argument counts, JSON-only forms), so
a syntax error is reported before anything runs. Arguments stay unexpanded: variable
substitution needs the environment of the stage and happens in the executor.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import BuildError
from .dockerfile import Node, ParsedFile, parse_error, parse_nodes
from .shellwords import split_words

ALLOWED_FLAGS = {
    "from": {"platform"},
    "run": {"mount", "network", "security"},
    "copy": {"from", "chown", "chmod", "link", "parents", "exclude"},
    "add": {"chown", "chmod", "link", "checksum", "keep-git-dir", "exclude", "unpack"},
    "healthcheck": {"interval", "timeout", "start-period", "start-interval", "retries"},
}
REPEATABLE_FLAGS = {"mount", "exclude"}
NOT_IN_ONBUILD = ("onbuild", "from", "maintainer")


@dataclass
class Stage:
    index: int
    name: str                       # "" when the stage has no AS name
    base: str                       # raw (unexpanded) image reference or "scratch"
    platform: str                   # raw --platform value
    line: int
    instructions: list = field(default_factory=list)   # [Node]

    @property
    def display(self) -> str:
        return self.name or f"stage-{self.index}"


@dataclass
class Dockerfile:
    filename: str
    escape: str
    directives: dict
    global_args: list
    stages: list

    def stage_by_ref(self, ref: str):
        """The stage called ``ref`` (AS name, case-insensitive) or with index ``ref``."""
        for st in self.stages:
            if st.name and st.name == ref.lower():
                return st
        if ref.isdigit() and int(ref) < len(self.stages):
            return self.stages[int(ref)]
        return None


def flag_values(node: Node, name: str) -> list:
    return [v for k, v in node.flags if k == name]


def flag(node: Node, name: str, default=None):
    vals = flag_values(node, name)
    if not vals:
        return default
    return vals[-1] if vals[-1] is not None else "true"


def parse_dockerfile(text: str, filename: str = "Dockerfile") -> Dockerfile:
    pf = parse_nodes(text, filename)
    if not pf.nodes:
        raise BuildError(f"{filename}: the Dockerfile cannot be empty")
    global_args: list = []
    stages: list = []
    for node in pf.nodes:
        _validate(node, pf)
        if node.cmd == "from":
            stages.append(_new_stage(node, pf, len(stages), stages))
        elif not stages:
            if node.cmd != "arg":
                raise parse_error(filename, node.line,
                                  f"no build stage in current context: {node.cmd.upper()} "
                                  "must come after FROM (only ARG may come before it)")
            global_args.extend(parse_arg_names(node, pf.escape))
        else:
            stages[-1].instructions.append(node)
    return Dockerfile(filename, pf.escape, pf.directives, global_args, stages)


def _new_stage(node: Node, pf: ParsedFile, index: int, stages: list) -> Stage:
    words = split_words(node.rest, pf.escape)
    if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() != "as"):
        raise parse_error(pf.filename, node.line,
                          "FROM requires either one or three arguments: FROM <image> [AS <name>]")
    name = ""
    if len(words) == 3:
        name = words[2].lower()
        if not re.fullmatch(r"[a-z][a-z0-9\-_.]*", name):
            raise parse_error(pf.filename, node.line, f"invalid name for build stage: {words[2]!r}, "
                              "name can't start with a number or contain symbols")
        if any(s.name == name for s in stages):
            raise parse_error(pf.filename, node.line, f"duplicate stage name {words[2]!r}")
    return Stage(index=index, name=name, base=words[0], platform=flag(node, "platform", ""),
                 line=node.line)


def _validate(node: Node, pf: ParsedFile, onbuild: bool = False) -> None:
    err = lambda msg: parse_error(pf.filename, node.line, msg)  # noqa: E731
    allowed = ALLOWED_FLAGS.get(node.cmd, set())
    seen = set()
    for name, _value in node.flags:
        if name not in allowed:
            raise err(f"unknown flag: --{name} for {node.cmd.upper()}")
        if name in seen and name not in REPEATABLE_FLAGS:
            raise err(f"duplicate flag specified: --{name}")
        seen.add(name)
    check = _CHECKS.get(node.cmd)
    if check:
        check(node, pf, err)


def _need_args(node, pf, err):
    if not node.rest and not node.heredocs:
        raise err(f"{node.cmd.upper()} requires at least one argument")


def _need_one(node, pf, err):
    if not node.rest:
        raise err(f"{node.cmd.upper()} requires exactly one argument")


def _check_copy(node, pf, err):
    if node.json_args is not None:
        n = len(node.json_args)
    else:
        n = len(split_words(node.rest, pf.escape))
    if n < 2:
        raise err(f"{node.cmd.upper()} requires at least two arguments, but only {n} provided "
                  "(a source and a destination)")


def _check_pairs(node, pf, err):
    parse_pairs(node, pf.escape, pf.filename)


def _check_arg(node, pf, err):
    parse_arg_names(node, pf.escape, pf.filename)


def _check_shell(node, pf, err):
    if node.json_args is None or not node.json_args:
        raise err("SHELL requires the arguments to be in JSON form: SHELL [\"executable\", \"param\"]")


def _check_healthcheck(node, pf, err):
    words = node.rest.split(None, 1)
    if not words:
        raise err("HEALTHCHECK requires an argument: NONE or CMD <command>")
    kind = words[0].upper()
    if kind == "NONE":
        if len(words) > 1 or node.flags:
            raise err("HEALTHCHECK NONE takes no other arguments")
    elif kind == "CMD":
        if len(words) < 2:
            raise err("HEALTHCHECK CMD requires a command")
    else:
        raise err(f"unknown type {words[0]!r} in HEALTHCHECK (try CMD)")


def _check_onbuild(node, pf, err):
    words = node.rest.split(None, 1)
    if not words:
        raise err("ONBUILD requires at least one argument")
    inner = words[0].lower()
    if inner in NOT_IN_ONBUILD:
        raise err(f"{words[0].upper()} isn't allowed as an ONBUILD trigger")
    sub = parse_nodes(node.rest, pf.filename).nodes
    if len(sub) != 1:
        raise err("ONBUILD takes exactly one instruction")


_CHECKS = {
    "run": _need_args, "cmd": _need_args, "entrypoint": _need_args, "expose": _need_args,
    "volume": _need_args, "user": _need_one, "workdir": _need_one, "stopsignal": _need_one,
    "maintainer": _need_one, "copy": _check_copy, "add": _check_copy, "env": _check_pairs,
    "label": _check_pairs, "arg": _check_arg, "shell": _check_shell,
    "healthcheck": _check_healthcheck, "onbuild": _check_onbuild, "from": _need_args,
}


def parse_pairs(node: Node, escape: str = "\\", filename: str = "Dockerfile") -> list:
    """ENV / LABEL arguments -> [(raw key, raw value)] (quotes kept for later expansion)."""
    words = split_words(node.rest, escape)
    what = node.cmd.upper()
    if not words:
        raise parse_error(filename, node.line, f"{what} requires at least one argument")
    if "=" not in words[0]:
        # legacy form "ENV key value with spaces"
        key, _, value = node.rest.strip().partition(" ")
        if not value.strip():
            raise parse_error(filename, node.line, f"{what} must have two arguments")
        return [(key, value.strip())]
    pairs = []
    for word in words:
        key, eq, value = word.partition("=")
        if not eq:
            raise parse_error(filename, node.line, f"Syntax error - can't find = in {word!r}. "
                              "Must be of the form: name=value")
        if not key:
            raise parse_error(filename, node.line, f"{what} names can not be blank")
        pairs.append((key, value))
    return pairs


def parse_arg_names(node: Node, escape: str = "\\", filename: str = "Dockerfile") -> list:
    """ARG arguments -> [(name, raw default or None)]."""
    words = split_words(node.rest, escape)
    if not words:
        raise parse_error(filename, node.line, "ARG requires at least one argument")
    out = []
    for word in words:
        name, eq, value = word.partition("=")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise parse_error(filename, node.line, f"ARG names can not be blank or contain "
                              f"symbols: {word!r}")
        out.append((name, value if eq else None))
    return out


def onbuild_nodes(triggers, filename: str = "Dockerfile") -> list:
    """Parse ONBUILD trigger strings of a base image into nodes."""
    nodes = []
    for trigger in triggers:
        pf = parse_nodes(trigger, filename)
        for node in pf.nodes:
            _validate(node, pf)
            nodes.append(node)
    return nodes
