"""Fast path for ``pycompose network <command> …``: no typer, no CLI app built.

A network command through the generic light dispatcher costs ~25 ms of CLI modules (the
app's declarations, the typer stand-in, the parser) on top of the interpreter; Docker's
``docker network ls`` is ~30-50 ms in all. This parses the network commands' options itself
(the declarations in compose/cli/network_cmd.py, mirrored in COMMANDS below and checked
against them by tests/cli/test_network_fast_parity.py) and calls the same command bodies
(compose/cli/network_ops.py) with the same values.

    try_run(argv)   # None: not sure -> the caller runs the typer path; else the exit code

Only a command line starting with ``network <command>`` is taken (global options before it go
through the app). Anything this parser is not sure about (help, an unknown option, a
missing or extra argument, a bool flag given a value, an option value starting with "-",
combined short flags, a bad number, shell completion) falls back to typer, so usage errors and
help stay typer's own.
"""
from __future__ import annotations

import os

# command -> (body in network_ops, {option word: (keyword, kind)}, [(argument, "one"|"many")],
#             {keyword: default})
# kinds: "flag" (bool), "str" (last one wins), "list" (repeatable), "int"
_LS = ("ls", {"-f": ("filter_", "list"), "--filter": ("filter_", "list"),
              "--format": ("fmt", "str"), "--no-trunc": ("no_trunc", "flag"),
              "-q": ("quiet", "flag"), "--quiet": ("quiet", "flag")}, [],
       {"filter_": None, "fmt": "", "no_trunc": False, "quiet": False})
_RM = ("rm", {"-f": ("force", "flag"), "--force": ("force", "flag")}, [("networks", "many")],
       {"force": False})
COMMANDS = {
    "ls": _LS, "list": _LS,
    "inspect": ("inspect", {"-f": ("fmt", "str"), "--format": ("fmt", "str")},
                [("networks", "many")], {"fmt": ""}),
    "create": ("create", {
        "-d": ("driver", "str"), "--driver": ("driver", "str"),
        "--subnet": ("subnet", "list"), "--ip-range": ("ip_range", "list"),
        "--gateway": ("gateway", "list"), "--aux-address": ("aux_address", "list"),
        "--internal": ("internal", "flag"), "--attachable": ("attachable", "flag"),
        "--ipv6": ("ipv6", "flag"), "--ipam-driver": ("ipam_driver", "str"),
        "--label": ("label", "list"), "-o": ("opt", "list"), "--opt": ("opt", "list")},
        [("name", "one")],
        {"driver": "bridge", "subnet": None, "ip_range": None, "gateway": None,
         "aux_address": None, "internal": False, "attachable": False, "ipv6": False,
         "ipam_driver": "default", "label": None, "opt": None}),
    "rm": _RM, "remove": _RM,
    "prune": ("prune", {"--filter": ("filter_", "list"), "-f": ("force", "flag"),
                        "--force": ("force", "flag")}, [], {"filter_": None, "force": False}),
    "connect": ("connect", {
        "--alias": ("alias", "list"), "--ip": ("ip", "str"), "--ip6": ("ip6", "str"),
        "--mac-address": ("mac", "str"), "--gw-priority": ("gw_priority", "int")},
        [("network", "one"), ("container", "one")],
        {"alias": None, "ip": "", "ip6": "", "mac": "", "gw_priority": 0}),
    "disconnect": ("disconnect", {"-f": ("force", "flag"), "--force": ("force", "flag")},
                   [("network", "one"), ("container", "one")], {"force": False}),
}


class Unsure(Exception):
    """The fast parser cannot be sure what typer would do: let typer run it."""


def parse(words: list[str]) -> "tuple[str, dict]":
    """``<command> [options and arguments]`` -> (network_ops function name, its keyword
    arguments as typer passes them to the network_cmd command). Raises Unsure."""
    if not words or words[0] not in COMMANDS:
        raise Unsure(words[:1])
    body, options, arguments, defaults = COMMANDS[words[0]]
    values = dict(defaults)
    positional: list[str] = []
    rest = iter(words[1:])
    for word in rest:
        if word == "--":
            positional.extend(rest)
            break
        if word[:1] != "-" or word == "-":
            positional.append(word)
            continue
        name, eq, value = word.partition("=") if word[:2] == "--" else _short(word, options)
        spec = options.get(name)
        if spec is None:
            raise Unsure(word)
        key, kind = spec
        if kind == "flag":
            if eq:
                raise Unsure(word)                       # click: "does not take a value"
            values[key] = True
            continue
        if not eq:
            value = next(rest, None)
            if value is None or value[:1] == "-":
                raise Unsure(word)                       # missing, or an option-like value
        if kind == "list":
            values[key] = (values[key] or []) + [value]
        elif kind == "int":
            try:
                values[key] = int(value)
            except ValueError:
                raise Unsure(word) from None
        else:
            values[key] = value
    _bind(arguments, positional, values)
    return body, values


def _short(word: str, options: dict) -> "tuple[str, str, str]":
    """``-x`` or ``-xVALUE`` (a short option taking a value). Clusters of flags: Unsure."""
    name, attached = word[:2], word[2:]
    if not attached:
        return name, "", ""
    spec = options.get(name)
    if spec is None or spec[1] == "flag":
        raise Unsure(word)
    return name, "=", attached


def _bind(arguments: list, positional: list[str], values: dict) -> None:
    if arguments and arguments[-1][1] == "many":
        fixed = len(arguments) - 1
        if len(positional) <= fixed:
            raise Unsure("missing argument")
        values[arguments[-1][0]] = positional[fixed:]
    elif len(positional) != len(arguments):
        raise Unsure("missing or extra argument")
    for (key, _kind), word in zip(arguments, positional):
        if _kind == "one":
            values[key] = word


def _globals_fine() -> bool:
    """What typer's root callback would reject or handle differently: a bad
    COMPOSE_PARALLEL_LIMIT (its --parallel envvar), shell completion."""
    if "_PYCOMPOSE_COMPLETE" in os.environ:
        return False
    limit = os.environ.get("COMPOSE_PARALLEL_LIMIT")
    if limit:
        try:
            int(limit)
        except ValueError:
            return False
    return True


def try_run(argv: list[str]) -> "int | None":
    """Run ``network <command> …`` and return its exit code; None when argv is not one or the
    parser is not sure (nothing has run then)."""
    if len(argv) < 2 or argv[0] != "network" or "-h" in argv or "--help" in argv:
        return None
    if not _globals_fine():
        return None
    try:
        body, kwargs = parse(argv[1:])
    except Unsure:
        return None
    return _invoke(body, kwargs)


def _engine():
    from engine.api import Engine
    return Engine()                   # PYCOMPOSE_ROOT / PYCOMPOSE_RUNROOT, or the defaults


def _invoke(body: str, kwargs: dict) -> int:
    """Call network_ops.<body>; Ctrl-C, a closed pipe and user errors end it as main.run and
    main._invoke_light end any command."""
    from . import network_ops
    from .main import closed_pipe_exit, user_error_exit
    try:
        getattr(network_ops, body)(_engine, **kwargs)
        return 0
    except KeyboardInterrupt:
        return 130
    except OSError as e:
        return closed_pipe_exit(e)
    except Exception as e:
        return user_error_exit(e)
