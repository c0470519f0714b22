"""A typer-free command-line parser built from the recorded typer declarations.

compose.cli.tylite records what ``typer.Option`` / ``typer.Argument`` / ``app.command`` were
given; this module turns a callback's signature into parameter specs the way typer's
get_click_param does, and parses argv with click's algorithm (option matching, ``--opt=v``,
``-ov``, combined short flags, ``--``, interspersed arguments, nargs=-1 arguments, envvar
and default resolution, int/float conversion, typer's list convertor). It produces exactly
the keyword arguments typer would pass to the callback.

Whenever the parser is not sure it raises Unsure (unknown option or command, a missing
value or argument, a failed conversion, an unsupported declaration, help, ...): the caller
then runs the real typer app, so help texts and usage errors stay typer's own.
"""
from __future__ import annotations

import os


class Unsure(Exception):
    """The light parser cannot tell what typer would do: use the real typer app."""


_BASE_TYPES = {"str": str, "int": int, "float": float, "bool": bool}
_HARMLESS_SETTINGS = {"help", "metavar", "show_default", "hidden", "rich_help_panel",
                      "show_envvar", "show_choices", "envvar", "is_flag", "count"}
_CONTEXT_SETTINGS = {"allow_interspersed_args", "allow_extra_args", "ignore_unknown_options",
                     "help_option_names", "max_content_width", "terminal_width",
                     "show_default"}
_COMMAND_SETTINGS = {"help", "hidden", "context_settings", "add_help_option", "short_help",
                     "epilog", "rich_help_panel", "options_metavar", "no_args_is_help"}


def _annotation(ann) -> tuple:
    """(base type, is_list) of a parameter annotation, as typer reads it."""
    text = ann if isinstance(ann, str) else getattr(ann, "__name__", None) if isinstance(ann, type) else str(ann)
    if text is None:
        raise Unsure("annotation")
    text = text.replace(" ", "").replace("typing.", "")
    for none_part in ("|None", "None|"):
        text = text.replace(none_part, "")
    if text.startswith("Optional[") and text.endswith("]"):
        text = text[len("Optional["):-1]
    is_list = False
    for prefix in ("List[", "list["):
        if text.startswith(prefix) and text.endswith("]"):
            text, is_list = text[len(prefix):-1], True
    if text not in _BASE_TYPES:
        raise Unsure(f"type {ann!r}")
    return _BASE_TYPES[text], is_list


def _is_context(ann, tylite) -> bool:
    if isinstance(ann, str):
        return ann.replace(" ", "") in ("typer.Context", "Context", "click.Context")
    return ann is tylite.Context


class Param:
    """One parameter of a command, resolved like typer's get_click_param + click's Option."""

    def __init__(self, name, info, annotation, tylite):
        self.name = name
        self.is_option = isinstance(info, tylite.OptionInfo)
        extra = set(info.settings) - _HARMLESS_SETTINGS
        if extra:
            raise Unsure(f"setting {sorted(extra)}")
        self.required = info.default is ...
        self.default = None if self.required else info.default
        self.type, self.is_list = _annotation(annotation)
        self.envvar = info.settings.get("envvar")
        self.is_flag = self.type is bool and info.settings.get("is_flag") is not False
        if info.settings.get("is_flag") and self.type is not bool:
            raise Unsure("non-bool flag")
        if self.type is bool and not self.is_flag or self.is_flag and self.is_list:
            raise Unsure("bool option shape")
        self.is_count = bool(info.settings.get("count"))
        if self.is_count and (self.type is not int or self.is_list or not self.is_option):
            raise Unsure("count shape")
        self.takes_value = not (self.is_flag or self.is_count)
        self.opts, self.secondary = [], []
        if self.is_option:
            self._option_decls(info.param_decls)
        elif info.param_decls:
            raise Unsure("argument declarations")
        self.nargs = -1 if self.is_list and not self.is_option else 1
        self.multiple = self.is_list and self.is_option

    def _option_decls(self, decls) -> None:
        if not decls:
            flag_name = self.name.replace("_", "-")
            decls = [f"--{flag_name}/--no-{flag_name}" if self.is_flag else f"--{flag_name}"]
        for decl in decls:
            if decl.isidentifier() or decl[:1] != "-":
                raise Unsure("option name declaration")
            if "/" in decl:
                first, second = (part.strip() for part in decl.split("/", 1))
                if not self.is_flag or not first or not second or not second.startswith("-"):
                    raise Unsure("secondary option")
                self.opts.append(first)
                self.secondary.append(second)
            else:
                self.opts.append(decl)

    def convert(self, raw):
        """click's type conversion of one raw (string) value."""
        if self.type is str:
            return raw if isinstance(raw, str) else str(raw)
        if self.type is bool:
            if isinstance(raw, bool):
                return raw
            raise Unsure("bool value")
        try:
            return self.type(raw)
        except (TypeError, ValueError):
            raise Unsure(f"bad value for {self.name}") from None

    def final(self, raw):
        """The value typer passes: envvar/default resolution, type cast, required check,
        then typer's list convertor."""
        if raw is None and self.envvar:
            raw = _from_env(self.envvar, self)
        if raw is None:
            raw = self.default() if callable(self.default) else self.default
        if raw is None:
            value = () if self.is_list else None
        elif self.is_list:
            if isinstance(raw, str):
                raise Unsure("list default is a string")
            value = tuple(self.convert(v) for v in raw)
        else:
            value = self.convert(raw)
        if self.required and (value is None or value == ()):
            raise Unsure(f"missing {self.name}")
        if self.is_list:
            if self.default is None and len(value) == 0:
                return None
            return list(value)
        return value


def _from_env(envvar, param):
    names = [envvar] if isinstance(envvar, str) else list(envvar)
    for name in names:
        text = os.environ.get(name)
        if text:
            if param.type is bool:
                raise Unsure("bool from environment")
            return text.split() if param.is_list else text
    return None


class Spec:
    """A callback's parameters (in signature order) and the parser settings of its level."""

    def __init__(self, callback, settings, tylite, *, group: bool):
        extra = set(settings) - _COMMAND_SETTINGS
        context = dict(settings.get("context_settings") or {})
        if extra or set(context) - _CONTEXT_SETTINGS:
            raise Unsure("command settings")
        self.callback = callback
        self.no_args_is_help = bool(settings.get("no_args_is_help"))
        self.interspersed = context.get("allow_interspersed_args", not group)
        self.extra_args = context.get("allow_extra_args", group)
        self.ignore_unknown = context.get("ignore_unknown_options", False)
        self.ctx_name = None
        self.params: list[Param] = []
        for name, default, ann in _signature(callback) if callback else ():
            if _is_context(ann, tylite):
                self.ctx_name = name
                continue
            if type(default).__module__.split(".")[0] in ("typer", "click"):
                raise Unsure("declared with the real typer")   # a module imported typer itself
            if not isinstance(default, tylite.ParameterInfo):
                required = default is _EMPTY or default is ...
                default = tylite.ArgumentInfo(...) if required else tylite.OptionInfo(default)
            self.params.append(Param(name, default, ann, tylite))
        self.long, self.short = {}, {}
        for p in self.params:
            for opt in p.opts:
                self._add(opt, p, True)
            for opt in p.secondary:
                self._add(opt, p, False)

    def _add(self, opt, param, const) -> None:
        is_short = len(opt) == 2 and opt[0] == "-" and opt[1] != "-"
        (self.short if is_short else self.long)[opt] = (param, const)


_EMPTY = object()


def _signature(func):
    """(name, default, annotation) of each parameter, without importing inspect."""
    if hasattr(func, "__wrapped__") or not hasattr(func, "__code__"):
        raise Unsure("wrapped callback")
    code = func.__code__
    if code.co_flags & 0x0C:                       # *args / **kwargs
        raise Unsure("varargs callback")
    count = code.co_argcount + code.co_kwonlyargcount
    names = code.co_varnames[:count]
    defaults = func.__defaults__ or ()
    kwdefaults = func.__kwdefaults__ or {}
    annotations = func.__annotations__
    first_default = code.co_argcount - len(defaults)
    out = []
    for i, name in enumerate(names):
        if i < code.co_argcount:
            default = defaults[i - first_default] if i >= first_default else _EMPTY
        else:
            default = kwdefaults.get(name, _EMPTY)
        if name not in annotations:
            raise Unsure("unannotated parameter")
        out.append((name, default, annotations[name]))
    return out


class _State:
    """click's parsing state: remaining words, words left over, raw option values."""

    def __init__(self, words):
        self.rargs = list(words)
        self.largs: list = []
        self.raw: dict = {}


def parse_level(words, spec: Spec) -> tuple:
    """Parse one level (group or command) like click's OptionParser + Command.parse_args:
    ({param name: value typer passes}, words left over)."""
    state = _State(words)
    while state.rargs:
        word = state.rargs.pop(0)
        if word == "--":
            break
        if word[:1] == "-" and len(word) > 1:
            _option_word(word, spec, state)
        elif spec.interspersed:
            state.largs.append(word)
        else:
            state.rargs.insert(0, word)
            break
    positional = state.largs + state.rargs
    arguments = [p for p in spec.params if not p.is_option]
    values, rest = _unpack(positional, [p.nargs for p in arguments])
    for param, value in zip(arguments, values):
        state.raw[param.name] = None if value == () else value
    if rest and not spec.extra_args:
        raise Unsure("extra arguments")
    return {p.name: p.final(state.raw.get(p.name)) for p in spec.params}, rest


def _option_word(word, spec, state) -> None:
    name, eq, explicit = word.partition("=")
    if name in spec.long:
        param, const = spec.long[name]
        if param.takes_value:
            if eq:
                state.rargs.insert(0, explicit)
            _store(param, const, _next_value(state), state)
        elif eq:
            raise Unsure("flag given a value")
        else:
            _store(param, const, None, state)
    elif word[:2] != "--":
        _short_options(word, spec, state)
    elif spec.ignore_unknown:
        state.largs.append(word)
    else:
        raise Unsure(f"no such option {name}")


def _short_options(word, spec, state) -> None:
    unknown = []
    for i, char in enumerate(word[1:], start=2):
        found = spec.short.get("-" + char)
        if found is None:
            if not spec.ignore_unknown:
                raise Unsure(f"no such option -{char}")
            unknown.append(char)
            continue
        param, const = found
        if not param.takes_value:
            _store(param, const, None, state)
            continue
        if i < len(word):
            state.rargs.insert(0, word[i:])
        _store(param, const, _next_value(state), state)
        break
    if unknown:
        state.largs.append("-" + "".join(unknown))


def _next_value(state):
    if not state.rargs:
        raise Unsure("option needs a value")
    return state.rargs.pop(0)


def _store(param, const, value, state) -> None:
    if param.is_flag:
        value = const
    if param.is_count:
        state.raw[param.name] = state.raw.get(param.name, 0) + 1
    elif param.multiple:
        state.raw.setdefault(param.name, []).append(value)
    else:
        state.raw[param.name] = value


def _unpack(words, nargs_spec) -> tuple:
    """click's _unpack_args for nargs 1 and -1: (values per argument, words left over)."""
    words = list(words)
    if -1 not in nargs_spec:
        values = [words.pop(0) if words else None for _ in nargs_spec]
        return values, words
    star = nargs_spec.index(-1)
    if -1 in nargs_spec[star + 1:]:
        raise Unsure("two nargs=-1 arguments")
    before = [words.pop(0) if words else None for _ in nargs_spec[:star]]
    after = [words.pop() if words else None for _ in nargs_spec[star + 1:]]
    return before + [tuple(words)] + after[::-1], []


_GROUP_SETTINGS = {"help", "no_args_is_help", "add_completion", "pretty_exceptions_enable",
                   "pretty_exceptions_short", "pretty_exceptions_show_locals",
                   "rich_markup_mode", "name", "context_settings", "hidden", "short_help",
                   "epilog", "rich_help_panel", "options_metavar", "add_help_option"}


def _group_spec(app, tylite) -> Spec:
    extra = set(app.info) - _GROUP_SETTINGS
    if extra or app.info.get("invoke_without_command"):
        raise Unsure("group settings")
    callback = app.registered_callback
    settings = {"context_settings": app.info.get("context_settings")}
    if callback is not None:
        if set(callback.settings) - {"help"}:
            raise Unsure("callback settings")
    return Spec(callback.callback if callback else None, settings, tylite, group=True)


def _subcommands(app) -> dict:
    """name -> CommandInfo or sub-app, as typer builds the group (sub-apps win a clash)."""
    out = {}
    for info in app.registered_commands:
        out[info.name or info.callback.__name__.lower().replace("_", "-")] = info
    for info in app.registered_groups:
        if info.name is None or info.settings:
            raise Unsure("unnamed sub-app")
        out[info.name] = info.typer_instance
    return out


class Call:
    """One callback to run: the callback, its kwargs (without the context) and the name of
    its context parameter."""

    def __init__(self, name, spec: Spec, kwargs, extra):
        self.name, self.spec, self.kwargs, self.extra = name, spec, kwargs, extra


def resolve(app, argv, tylite) -> list:
    """Parse argv against the light root app: the chain of Calls (root callback, groups,
    command), or Unsure. Nothing is called."""
    calls = []
    words, name, level = list(argv), "pycompose", app
    while isinstance(level, tylite.Typer):
        spec = _group_spec(level, tylite)
        if not words:
            raise Unsure("no command")            # help (no_args_is_help) or "Missing command"
        kwargs, rest = parse_level(words, spec)
        if not rest:
            raise Unsure("missing command")
        calls.append(Call(name, spec, kwargs, []))
        name, words = rest[0], rest[1:]
        level = _subcommands(level).get(name)
        if level is None:
            raise Unsure(f"no such command {name}")
    spec = Spec(level.callback, level.settings, tylite, group=False)
    if spec.no_args_is_help and not words:
        raise Unsure("command help")
    kwargs, rest = parse_level(words, spec)
    calls.append(Call(name, spec, kwargs, rest))
    return calls


def invoke(calls, tylite):
    """Run the chain like click: each group's callback, then the command, each with a
    Context whose parent is the previous one."""
    parent = None
    result = None
    for i, call in enumerate(calls):
        ctx = tylite.Context(call.name, parent=parent, args=call.extra, params=call.kwargs)
        if i + 1 < len(calls):
            ctx.invoked_subcommand = calls[i + 1].name
        if call.spec.callback is not None:
            kwargs = dict(call.kwargs)
            if call.spec.ctx_name:
                kwargs[call.spec.ctx_name] = ctx
            result = call.spec.callback(**kwargs)
        parent = ctx
    return result
