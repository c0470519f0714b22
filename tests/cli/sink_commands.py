"""Declarations the real CLI does not use (yet) but the light parser claims to handle the way
typer does: counts, List[int], floats, options without declarations (--x / --x/--no-x),
Optional[bool] flags, arguments with defaults, arguments after a nargs=-1 argument, envvar on
a multiple option, a group with its own callback and options, plain (non-typer) defaults.
Loaded twice by test_fastparse_parity: with real typer and with the light stand-in."""
from __future__ import annotations

from typing import List, Optional

from compose.cli.ty import typer


def build():
    root = typer.Typer(name="sink", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                       context_settings={"help_option_names": ["-h", "--help"]})
    root.callback()(top)
    root.command("counts")(counts)
    root.command()(auto_names)
    root.command("args")(args_around_star)
    root.command("plain")(plain)
    sub = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
    sub.callback()(group_options)
    sub.command("leaf")(leaf)
    root.add_typer(sub, name="grp")
    return root


def top(ctx: typer.Context, verbose: int = typer.Option(0, "-v", "--verbose", count=True),
        tags: Optional[List[str]] = typer.Option(None, "--tag", envvar="SINK_TAGS")):
    pass


def counts(level: int = typer.Option(1, "-l", count=True),
           ratio: float = typer.Option(0.5, "-r", "--ratio"),
           ports: List[int] = typer.Option([], "-p", "--port"),
           maybe: Optional[bool] = typer.Option(None, "--maybe/--no-maybe", "-m")):
    pass


def auto_names(dry_run: bool = typer.Option(False), name_x: str = typer.Option("n"),
               limit: Optional[int] = typer.Option(None, envvar="SINK_LIMIT")):
    pass


def args_around_star(first: str = typer.Argument(...), middle: Optional[List[str]] = typer.Argument(None),
                     last: str = typer.Argument("end"), flag: bool = typer.Option(False, "-f")):
    pass


def plain(ctx: typer.Context, target: str, times: int = 2, loud: bool = False):
    pass


def group_options(ctx: typer.Context, region: str = typer.Option("eu", "--region", "-R")):
    pass


def leaf(ctx: typer.Context, item: Optional[str] = typer.Argument(None), n: int = typer.Option(3, "-n")):
    pass
