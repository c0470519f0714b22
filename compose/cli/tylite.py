"""Light stand-ins for the part of typer the CLI modules use (fast mode of compose.cli.ty).

Command modules declare their parameters with ``typer.Option`` / ``typer.Argument`` and
register callbacks on ``typer.Typer`` apps. In fast mode those names resolve here: the
declarations are only *recorded* (OptionInfo/ArgumentInfo/CommandInfo keep every argument
they were given) so compose.cli.fastparse can parse a command line the way click would and
call the callback with the same keyword arguments. Anything the light parser does not
understand makes the CLI fall back to the real typer app (see compose.cli.main).

``echo`` and ``Exit`` behave like click's (echo strips ANSI codes when the stream is not a
terminal; Exit carries ``exit_code``).
"""
from __future__ import annotations

import sys


class ParameterInfo:
    """What typer.Option(...) / typer.Argument(...) was called with."""

    def __init__(self, default=None, *param_decls, **settings):
        self.default = default
        self.param_decls = param_decls
        self.settings = settings


class OptionInfo(ParameterInfo):
    pass


class ArgumentInfo(ParameterInfo):
    pass


def Option(default=..., *param_decls, **settings):  # noqa: N802 - typer's name
    return OptionInfo(default, *param_decls, **settings)


def Argument(default=..., **settings):  # noqa: N802 - typer's name
    return ArgumentInfo(default, **settings)


class CommandInfo:
    """One ``app.command(name, **settings)(callback)`` registration."""

    def __init__(self, name, callback, settings):
        self.name = name
        self.callback = callback
        self.context_settings = settings.get("context_settings")
        self.settings = settings


class TyperInfo:
    """One ``app.add_typer(sub, name=...)`` registration."""

    def __init__(self, typer_instance, name, settings):
        self.typer_instance = typer_instance
        self.name = name
        self.settings = settings


class Typer:
    """Records commands, sub-apps and the callback, like typer.Typer's registration API."""

    def __init__(self, **settings):
        self.info = settings
        self.registered_commands: list[CommandInfo] = []
        self.registered_groups: list[TyperInfo] = []
        self.registered_callback = None

    def command(self, name=None, **settings):
        def decorator(func):
            self.registered_commands.append(CommandInfo(name, func, settings))
            return func
        return decorator

    def callback(self, **settings):
        def decorator(func):
            self.registered_callback = CommandInfo(None, func, settings)
            return func
        return decorator

    def add_typer(self, typer_instance, *, name=None, **settings):
        self.registered_groups.append(TyperInfo(typer_instance, name, settings))


class Context:
    """What the commands use of click's Context: obj (inherited from the parent), parent,
    args (extra words of pass-through commands), params, info_name."""

    def __init__(self, info_name, parent=None, args=(), params=None):
        self.info_name = info_name
        self.parent = parent
        self._obj = None
        self.args = list(args)
        self.params = dict(params or {})
        self.invoked_subcommand = None
        self.meta = parent.meta if parent is not None else {}

    @property
    def obj(self):
        if self._obj is None and self.parent is not None:
            return self.parent.obj
        return self._obj

    @obj.setter
    def obj(self, value):
        self._obj = value

    def find_root(self):
        ctx = self
        while ctx.parent is not None:
            ctx = ctx.parent
        return ctx

    def exit(self, code: int = 0):
        raise Exit(code)


class Exit(RuntimeError):
    """typer.Exit: stop with ``exit_code`` (no message)."""

    def __init__(self, code: int = 0):
        super().__init__(code)
        self.exit_code = code


def echo(message=None, file=None, nl: bool = True, err: bool = False, color=None) -> None:
    """click.echo for text: message + newline, ANSI stripped unless the stream is a tty."""
    if file is None:
        file = sys.stderr if err else sys.stdout
        if file is None:
            return
    if message is not None and not isinstance(message, (str, bytes, bytearray)):
        message = str(message)
    if isinstance(message, (bytes, bytearray)):
        file.flush()
        file.buffer.write(bytes(message) + (b"\n" if nl else b""))
        file.buffer.flush()
        return
    out = (message or "") + ("\n" if nl else "")
    if not out:
        return
    if not color and "\033" in out and not _isatty(file):
        import re
        out = re.sub(r"\033\[[;?0-9]*[a-zA-Z]", "", out)
    file.write(out)
    file.flush()


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except Exception:
        return False
