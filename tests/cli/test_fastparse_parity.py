"""The typer-free parser gives every registered command exactly the keyword arguments typer
gives it, for a corpus of command lines generated from each command's declared parameters
(each option given / omitted / repeated / ``=`` form / short and combined short forms /
from its environment variable, arguments before and after options, ``--``), or both reject
the command line (the light parser by falling back to typer).

Typer's side runs the real typer app with every callback swapped for a recorder (inside
typer's own wrapper, so its convertors still run); the light side runs
compose.cli.fastparse.resolve on the app built in fast mode.
"""
import importlib
import os
import re

import pytest
import typer
from typer.main import get_command

from compose.cli import fastparse, ty, tylite
from compose.cli import app as cli_app

GLOBAL_PREFIXES = ([], ["-p", "demo"], ["--file=a.yml", "-f", "b.yml", "--dry-run"],
                   ["--parallel", "3", "--env-file", "e1", "--profile=p1", "--profile", "p2"],
                   ["--progress=plain", "--ansi", "never", "--root", "/r", "--runroot=/rr"])


def _light_app():
    with ty.light_modules():
        light_app_module = importlib.import_module("compose.cli.app")
        return light_app_module.build_app(everything=True)


def _leaf_commands(group, path=()):
    for name, sub in sorted(group.commands.items()):
        if isinstance(sub, typer.core.TyperGroup):
            yield from _leaf_commands(sub, path + (name,))
        else:
            yield path + (name,), sub


class Recorder:
    """Swaps the original callback inside each typer wrapper for one that records what
    typer passes (the context is recorded as its extra args)."""

    def __init__(self, click_root):
        self.calls = []
        self._install(click_root)

    def _install(self, cmd):
        if cmd.callback is not None:
            cells = dict(zip(cmd.callback.__code__.co_freevars, cmd.callback.__closure__))
            original = cells["callback"].cell_contents
            ctx_name = cells["context_param_name"].cell_contents
            cells["callback"].cell_contents = self._recording(original.__name__, ctx_name)
        for sub in getattr(cmd, "commands", {}).values():
            self._install(sub)

    def _recording(self, name, ctx_name):
        def record(**kwargs):
            ctx = kwargs.pop(ctx_name) if ctx_name else None
            self.calls.append((kwargs, list(ctx.args) if ctx is not None else []))
        return record


@pytest.fixture(scope="module")
def apps():
    real = get_command(cli_app.build_app(everything=True))
    return real, Recorder(real), _light_app()


def typer_result(real, recorder, argv):
    recorder.calls.clear()
    try:
        real.main(args=list(argv), prog_name="pycompose", standalone_mode=False)
    except typer._click.exceptions.ClickException:
        return "rejected"
    return [(kwargs, extra) for kwargs, extra in recorder.calls]


def light_result(light, argv):
    try:
        calls = fastparse.resolve(light, list(argv), tylite)
    except fastparse.Unsure:
        return "rejected"
    return [(call.kwargs, call.extra) for call in calls if call.spec.callback is not None]


def _sample(param, i=0):
    if isinstance(param.type, typer._click.types.IntParamType):
        return str(7 + i)
    return f"v{i}"


def _fill_arguments(cmd):
    words = []
    for p in cmd.params:
        if isinstance(p, typer.core.TyperArgument) and p.required:
            words += ["a1", "a2"] if p.nargs == -1 else ["a1"]
    return words


def option_variants(cmd):
    """Command-line fragments exercising each option of ``cmd``."""
    out = []
    shorts = []
    for p in cmd.params:
        if not isinstance(p, typer.core.TyperOption) or p.name == "help":
            continue
        for opt in p.opts + p.secondary_opts:
            if p.is_flag:
                out += [[opt], [opt, opt]]
                if len(opt) == 2:
                    shorts.append(opt[1])
                continue
            out += [[opt, _sample(p)], [f"{opt}={_sample(p)}"], [opt, _sample(p), opt, _sample(p, 1)],
                    [opt, "-dash"], [opt]]
            if len(opt) == 2:
                out += [[opt + _sample(p)], [opt + "=" + _sample(p)]]
            if isinstance(p.type, typer._click.types.IntParamType):
                out += [[opt, "x"], [opt, " 12 "], [opt, "1_0"]]
        if p.is_flag and p.secondary_opts:
            out.append([p.opts[0], p.secondary_opts[0]])
    if shorts:
        out.append(["-" + "".join(shorts)])
        out.append(["-" + "".join(shorts) + "z"])
    value_shorts = [o for p in cmd.params if isinstance(p, typer.core.TyperOption) and not p.is_flag
                    for o in p.opts if len(o) == 2]
    if shorts and value_shorts:
        out.append(["-" + shorts[0] + value_shorts[0][1] + "9"])
        out.append(["-" + shorts[0] + value_shorts[0][1], "9"])
    return out


def command_lines(path, cmd):
    args = _fill_arguments(cmd)
    lines = [list(path) + args, list(path), list(path) + args + ["extra1"],
             list(path) + ["--no-such-option"] + args, list(path) + args + ["--", "-x", "--y"],
             list(path) + ["--"] + args, list(path) + args + ["-"]]
    for prefix in GLOBAL_PREFIXES:
        lines.append(prefix + list(path) + args)
    for variant in option_variants(cmd):
        lines.append(list(path) + variant + args)
        lines.append(list(path) + args + variant)
        if args:
            lines.append(list(path) + args[:1] + variant + args[1:])
    return lines


def _command_ids():
    return [" ".join(path) for path, _ in _leaf_commands(get_command(cli_app.build_app(everything=True)))]


@pytest.mark.parametrize("command", _command_ids())
def test_light_parser_matches_typer(apps, command):
    real, recorder, light = apps
    cmd = dict(_leaf_commands(real))[tuple(command.split())]
    checked = 0
    for argv in command_lines(tuple(command.split()), cmd):
        expected = typer_result(real, recorder, argv)
        assert light_result(light, argv) == expected, argv
        checked += 1
    assert checked > 5


def test_every_command_is_walked(apps):
    real, _, light = apps
    names = {path for path, _ in _leaf_commands(real)}
    assert {("ps",), ("up",), ("network", "ls"), ("container", "create"), ("builder", "prune"),
            ("config",), ("image", "build")} <= names
    assert len(names) > 60


@pytest.mark.parametrize("env, argv", [
    ({"COMPOSE_PARALLEL_LIMIT": "4"}, ["ps"]),
    ({"COMPOSE_PARALLEL_LIMIT": "4"}, ["--parallel", "2", "ps"]),
    ({"COMPOSE_PARALLEL_LIMIT": "x"}, ["ps"]),
    ({"COMPOSE_PARALLEL_LIMIT": ""}, ["ps"]),
    ({"PYCOMPOSE_ROOT": "/e/root", "PYCOMPOSE_RUNROOT": "/e/run"}, ["network", "ls"]),
    ({"PYCOMPOSE_ROOT": "/e/root"}, ["--root=/cli", "network", "ls"]),
])
def test_environment_defaults_match_typer(apps, monkeypatch, env, argv):
    real, recorder, light = apps
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    expected = typer_result(real, recorder, argv)
    assert light_result(light, argv) == expected


@pytest.mark.parametrize("argv", [
    ["exec", "web", "ls", "-la"], ["exec", "-d", "web", "sh", "-c", "echo -x"],
    ["run", "--rm", "web", "--rm"], ["run", "-e", "A=1", "-eB=2", "web"],
    ["container", "create", "--name", "x", "-it", "busybox", "--", "sh", "-c", "true"],
    ["container", "exec", "-e=X", "c1", "ls", "--", "-l"],
    ["up", "-dV", "--scale", "web=2", "--scale=db=3", "web", "-t5"],
    ["-p", "x", "--", "ps"], ["--", "-p", "ps"], ["ps", "-aq", "--status=running"],
    ["logs", "-f", "--tail", "5", "web", "db"], ["down", "--rmi", "all", "-v", "-t", "0"],
    ["network", "create", "--subnet", "10.1.0.0/24", "-d", "bridge", "n1"],
    ["volume", "rm", "-f", "v1", "v2"], ["image", "ls", "-a", "--format", "{{.ID}}"],
])
def test_hand_written_lines_match_typer(apps, argv):
    real, recorder, light = apps
    assert light_result(light, argv) == typer_result(real, recorder, argv)


def _sink(light: bool):
    """tests/cli/sink_commands.py executed afresh in the given mode; its app."""
    import importlib.util
    path = os.path.join(os.path.dirname(__file__), "sink_commands.py")
    spec = importlib.util.spec_from_file_location(f"sink_commands_{light}", path)
    module = importlib.util.module_from_spec(spec)
    if light:
        with ty.light_modules():
            spec.loader.exec_module(module)
            return module.build()
    spec.loader.exec_module(module)
    return module.build()


SINK_LINES = [
    ["counts"], ["-vvv", "counts"], ["-v", "--verbose", "--tag", "a", "counts", "-ll"],
    ["counts", "-l", "-lll", "-r", "2.5", "-p", "1", "--port=2", "-p3"], ["counts", "-r", "x"],
    ["counts", "-p", "1.5"], ["counts", "--maybe"], ["counts", "--no-maybe", "-m"],
    ["counts", "-lm", "-r1e3"], ["counts", "-l=2"], ["counts", "--ratio= 3 "],
    ["auto-names"], ["auto-names", "--dry-run", "--name-x", "q", "--limit", "4"],
    ["auto-names", "--no-dry-run"], ["auto-names", "--dry-run=1"], ["auto-names", "--name_x", "q"],
    ["args"], ["args", "a"], ["args", "a", "b"], ["args", "a", "b", "c", "d"],
    ["args", "-f", "a", "--", "-b", "-c"], ["args", "a", "-f", "b"],
    ["plain"], ["plain", "t"], ["plain", "t", "--times", "5", "--loud"], ["plain", "t", "--no-loud"],
    ["plain", "t", "u"], ["grp", "leaf"], ["grp", "-R", "us", "leaf", "x", "-n", "1"],
    ["grp", "--region=ap", "leaf"], ["grp", "leaf", "-R", "us"], ["grp"], ["grp", "nosuch"],
    ["-v"], [], ["--tag"], ["counts", "-v"],
]


@pytest.fixture(scope="module")
def sink_apps():
    real = get_command(_sink(light=False))
    return real, Recorder(real), _sink(light=True)


@pytest.mark.parametrize("argv", SINK_LINES)
def test_declarations_the_cli_does_not_use_yet_match_typer(sink_apps, argv):
    real, recorder, light = sink_apps
    assert light_result(light, argv) == typer_result(real, recorder, argv)


@pytest.mark.parametrize("env", [{"SINK_TAGS": "x y  z"}, {"SINK_TAGS": ""}, {"SINK_LIMIT": "9"},
                                 {"SINK_LIMIT": "nine"}])
def test_environment_of_unused_declarations_matches_typer(sink_apps, monkeypatch, env):
    real, recorder, light = sink_apps
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for argv in (["counts"], ["auto-names"], ["--tag", "cli", "auto-names", "--limit", "1"]):
        assert light_result(light, argv) == typer_result(real, recorder, argv), argv


def test_light_stand_in_has_every_typer_name_the_cli_uses():
    root = os.path.join(os.path.dirname(cli_app.__file__))
    used = set()
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".py") and name not in ("ty.py", "tylite.py"):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    used |= set(re.findall(r"\btyper\.([A-Za-z_]+)", f.read()))
    missing = {name for name in used if not hasattr(tylite, name)}
    assert not missing, f"tylite lacks {sorted(missing)}: add a stand-in (or a fallback)"


@pytest.mark.parametrize("message, kwargs", [
    ("plain", {}), ("", {}), (None, {}), (42, {}), ("no newline", {"nl": False}),
    ("\x1b[31mred\x1b[0m text", {}), ("\x1b[1mbold\x1b[0m", {"color": True}),
    ("to stderr", {"err": True}), (b"bytes\x00", {}),
])
def test_light_echo_writes_what_typer_echo_writes(capsysbinary, message, kwargs):
    typer.echo(message, **kwargs)
    expected = capsysbinary.readouterr()
    tylite.echo(message, **kwargs)
    assert capsysbinary.readouterr() == expected


def test_light_exit_carries_its_code_like_typers():
    assert tylite.Exit(3).exit_code == typer.Exit(3).exit_code == 3
    assert tylite.Exit().exit_code == typer.Exit().exit_code == 0
    assert issubclass(tylite.Exit, RuntimeError) and issubclass(typer.Exit, RuntimeError)


def test_cli_modules_import_typer_only_through_compose_cli_ty():
    root = os.path.dirname(cli_app.__file__)
    offenders = []
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".py") and name != "ty.py":
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    previous = ""
                    for line in f:
                        typing_only = "TYPE_CHECKING" in previous    # no runtime import
                        if re.match(r"\s*(import typer|from typer\b)", line) and not typing_only:
                            offenders.append((name, line.strip()))
                        previous = line
    assert not offenders, f"use `from compose.cli.ty import typer`: {offenders}"


def test_a_command_declared_with_real_typer_falls_back():
    def cmd(name: str = typer.Option("x", "--name")):
        pass
    app = tylite.Typer()
    app.callback()(lambda: None)
    app.command("c")(cmd)
    with pytest.raises(fastparse.Unsure):
        fastparse.resolve(app, ["c"], tylite)
