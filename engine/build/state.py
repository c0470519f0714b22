"""The state of a stage while it builds, and the metadata-only instructions.

A StageState is what a stage is after each instruction: its layers (the base image's plus
the ones this build made), the OCI image config document, the history, the build args in
effect and a cache key that summarises everything before (``key``).

Metadata instructions (ENV, LABEL, CMD, ENTRYPOINT, EXPOSE, VOLUME, USER, WORKDIR's config
part, STOPSIGNAL, HEALTHCHECK, SHELL, ONBUILD, MAINTAINER, ARG) only change the config and
the key; they are applied by ``apply_metadata`` with Docker's expansion rules.
"""
from __future__ import annotations

import copy
import hashlib
import json
import posixpath
import re
import threading
from dataclasses import dataclass, field

from ..errors import BuildError
from .dockerfile import Node
from .instructions import flag, parse_arg_names, parse_pairs
from .shellwords import expand, expand_words

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_SHELL = ["/bin/sh", "-c"]
PROXY_ARGS = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
              "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy")


@dataclass(frozen=True)
class LayerRec:
    diff_id: str
    digest: str
    size: int
    dir: str            # overlay-format directory of this layer (a lowerdir)


class LazyLowers:
    """The base image's lowerdirs, prepared on first use (a fully cached build never mounts)."""

    def __init__(self, loader=None, value: tuple = ()) -> None:
        self.loader = loader
        self.value = value
        self.lock = threading.Lock()

    def get(self) -> tuple:
        with self.lock:
            if self.loader is not None:
                self.value = tuple(self.loader())
                self.loader = None
            return self.value


@dataclass
class StageState:
    name: str
    base_image_id: str | None = None            # None: scratch
    base_lowers: LazyLowers = field(default_factory=LazyLowers)  # base lowerdirs, top first
    base_digests: list = field(default_factory=list)
    layers: list = field(default_factory=list)   # [LayerRec], bottom first
    image: dict = field(default_factory=dict)    # the OCI image config document
    key: str = ""
    args: dict = field(default_factory=dict)     # build args in effect
    cmd_set: bool = False
    cache_steps: list = field(default_factory=list)  # [step key, layer index | -1, created]

    @property
    def config(self) -> dict:
        return self.image.setdefault("config", {})

    def fork(self, name: str) -> "StageState":
        """A new stage starting FROM this one."""
        st = copy.copy(self)
        st.name = name
        st.layers = list(self.layers)
        st.cache_steps = list(self.cache_steps)
        st.image = copy.deepcopy(self.image)
        st.args = {}
        st.cmd_set = False
        return st

    def lowerdirs(self) -> list[str]:
        return [layer.dir for layer in reversed(self.layers)] + list(self.base_lowers.get())

    def env_dict(self) -> dict:
        out = {}
        for item in self.config.get("Env") or []:
            k, _, v = item.partition("=")
            out[k] = v
        return out

    def expansion_env(self) -> dict:
        """Variables for substitution: build args, overridden by ENV (Docker's rule)."""
        return {**self.args, **self.env_dict()}

    def set_env(self, key: str, value: str) -> None:
        env = [e for e in (self.config.get("Env") or []) if e.partition("=")[0] != key]
        env.append(f"{key}={value}")
        self.config["Env"] = env

    def shell(self) -> list[str]:
        return list(self.config.get("Shell") or DEFAULT_SHELL)

    def workdir(self) -> str:
        return self.config.get("WorkingDir") or "/"

    def advance(self, text: str) -> str:
        self.key = chain_key(self.key, text)
        return self.key

    def add_history(self, created_by: str, created: str, empty: bool) -> None:
        entry = {"created": created, "created_by": created_by, "comment": "buildkit.dockerfile.v0"}
        if empty:
            entry["empty_layer"] = True
        self.image.setdefault("history", []).append(entry)


def chain_key(parent: str, text: str) -> str:
    return "sha256:" + hashlib.sha256(json.dumps([parent, text]).encode()).hexdigest()


def go_quote_list(items) -> str:
    """Go's %q of a []string, like BuildKit's history: ["a" "b"]."""
    return "[" + " ".join(json.dumps(i) for i in items) + "]"


_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9}


def parse_duration(text: str, what: str) -> int:
    """A Go duration ("30s", "1m30s", "500ms") -> nanoseconds."""
    pos, total = 0, 0.0
    text = text.strip()
    if text == "0":
        return 0
    for m in _DURATION_RE.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise BuildError(f"invalid duration {text!r} for {what} (use e.g. 30s, 1m30s)")
    return int(total)


def _cmd_value(node: Node, st: StageState) -> list[str]:
    if node.json_args is not None:
        return list(node.json_args)
    return st.shell() + [node.rest]


def _expose(words: list[str], line: int) -> list[str]:
    ports = []
    for word in words:
        port, _, proto = word.partition("/")
        proto = (proto or "tcp").lower()
        lo, _, hi = port.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise BuildError(f"Dockerfile:{line}: invalid port {word!r} in EXPOSE")
        for p in range(int(lo), int(hi or lo) + 1):
            ports.append(f"{p}/{proto}")
    return ports


def _healthcheck(node: Node, st: StageState) -> dict:
    kind, _, rest = node.rest.partition(" ")
    if kind.upper() == "NONE":
        return {"Test": ["NONE"]}
    rest = rest.strip()
    from .dockerfile import _json_array
    args = _json_array(rest)
    test = ["CMD"] + list(args) if args is not None else ["CMD-SHELL", rest]
    hc = {"Test": test}
    for name, key in (("interval", "Interval"), ("timeout", "Timeout"),
                      ("start-period", "StartPeriod"), ("start-interval", "StartInterval")):
        value = flag(node, name)
        if value is not None:
            hc[key] = parse_duration(value, f"HEALTHCHECK --{name}")
    retries = flag(node, "retries")
    if retries is not None:
        if not retries.isdigit() or int(retries) < 1:
            raise BuildError(f"Dockerfile:{node.line}: --retries must be at least 1")
        hc["Retries"] = int(retries)
    return hc


def _env(node, st, env, escape):
    pairs = [(expand(k, env, escape), expand(v, env, escape)) for k, v in parse_pairs(node, escape)]
    for k, v in pairs:
        st.set_env(k, v)
    return "ENV " + " ".join(f"{k}={v}" for k, v in pairs)


def _label(node, st, env, escape):
    pairs = [(expand(k, env, escape), expand(v, env, escape)) for k, v in parse_pairs(node, escape)]
    labels = st.config.get("Labels") or {}
    labels.update(dict(pairs))
    st.config["Labels"] = labels
    return "LABEL " + " ".join(f"{k}={v}" for k, v in pairs)


def _cmd(node, st, env, escape):
    st.config["Cmd"] = _cmd_value(node, st)
    st.cmd_set = True
    return "CMD " + go_quote_list(st.config["Cmd"])


def _entrypoint(node, st, env, escape):
    st.config["Entrypoint"] = _cmd_value(node, st)
    if not st.cmd_set:
        st.config["Cmd"] = None              # an inherited CMD is reset by ENTRYPOINT
    return "ENTRYPOINT " + go_quote_list(st.config["Entrypoint"])


def _expose_instr(node, st, env, escape):
    ports = _expose(expand_words(node.rest, env, escape), node.line)
    exposed = st.config.get("ExposedPorts") or {}
    for p in ports:
        exposed[p] = {}
    st.config["ExposedPorts"] = exposed
    return "EXPOSE map[" + " ".join(f"{p}:{{}}" for p in ports) + "]"


def _volume(node, st, env, escape):
    paths = [expand(p, env, escape) for p in node.json_args] if node.json_args is not None \
        else expand_words(node.rest, env, escape)
    if any(not p.strip() for p in paths):
        raise BuildError(f"Dockerfile:{node.line}: VOLUME specified can not be an empty string")
    vols = st.config.get("Volumes") or {}
    for p in paths:
        vols[p] = {}
    st.config["Volumes"] = vols
    return "VOLUME " + go_quote_list(paths)


def _user(node, st, env, escape):
    st.config["User"] = expand(node.rest, env, escape)
    return "USER " + st.config["User"]


def _workdir(node, st, env, escape):
    path = expand(node.rest, env, escape)
    st.config["WorkingDir"] = posixpath.normpath(posixpath.join(st.workdir(), path))
    return "WORKDIR " + st.config["WorkingDir"]


def _stopsignal(node, st, env, escape):
    st.config["StopSignal"] = expand(node.rest, env, escape)
    return "STOPSIGNAL " + st.config["StopSignal"]


def _healthcheck_instr(node, st, env, escape):
    st.config["Healthcheck"] = _healthcheck(node, st)
    return "HEALTHCHECK " + node.rest


def _shell(node, st, env, escape):
    st.config["Shell"] = list(node.json_args)
    return "SHELL " + go_quote_list(st.config["Shell"])


def _onbuild(node, st, env, escape):
    st.config["OnBuild"] = list(st.config.get("OnBuild") or []) + [node.rest]
    return "ONBUILD " + node.rest


def _maintainer(node, st, env, escape):
    st.image["author"] = expand(node.rest, env, escape)
    return "MAINTAINER " + st.image["author"]


METADATA_HANDLERS = {
    "env": _env, "label": _label, "cmd": _cmd, "entrypoint": _entrypoint,
    "expose": _expose_instr, "volume": _volume, "user": _user, "workdir": _workdir,
    "stopsignal": _stopsignal, "healthcheck": _healthcheck_instr, "shell": _shell,
    "onbuild": _onbuild, "maintainer": _maintainer,
}


def apply_metadata(node: Node, st: StageState, escape: str, build_args: dict,
                   global_args: dict, used_args: set) -> str:
    """Apply a config-only instruction to ``st``; returns the history text (created_by)."""
    if node.cmd == "arg":
        return _apply_arg(node, st, escape, build_args, global_args, used_args)
    handler = METADATA_HANDLERS.get(node.cmd)
    if handler is None:
        raise BuildError(f"Dockerfile:{node.line}: {node.cmd.upper()} is not a metadata instruction")
    return handler(node, st, st.expansion_env(), escape)


def _apply_arg(node: Node, st: StageState, escape: str, build_args: dict,
               global_args: dict, used_args: set) -> str:
    shown = []
    for name, raw_default in parse_arg_names(node, escape):
        if name in build_args:
            value = build_args[name]
            used_args.add(name)
        elif raw_default is not None:
            value = expand(raw_default, st.expansion_env(), escape)
        elif name in global_args:
            value = global_args[name]
        else:
            value = None
        if value is None:
            st.args.pop(name, None)
            shown.append(name)
        else:
            st.args[name] = value
            shown.append(f"{name}={value}")
    return "ARG " + " ".join(shown)


def run_env_prefix(st: StageState) -> tuple[list[str], dict]:
    """Build args for RUN: ("|2 A=1 B=2" history prefix, env) without shadowing ENV."""
    env_keys = set(st.env_dict())
    args = {k: v for k, v in sorted(st.args.items()) if k not in env_keys}
    return [f"{k}={v}" for k, v in args.items()], args
