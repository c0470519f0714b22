"""The network commands' own fast path (compose/cli/network_fast.py) accepts exactly what the
typer declarations in compose/cli/network_cmd.py accept and passes the same values, or falls
back to typer; and its record-based outputs are the ones the typer commands print."""
import os
import sys

import pytest
from typer.main import get_command

from compose.cli import app as cli_app
from compose.cli import main as cli_main
from compose.cli import network_fast, network_ops
from engine.network import store
from tests.cli.test_fastparse_parity import Recorder, command_lines, typer_result


@pytest.fixture(scope="module")
def typer_network():
    real = get_command(cli_app.build_app(["network", "ls"]))
    return real, Recorder(real)


def _fast_result(argv):
    """network_fast's parse of argv as the typer recorder reports it ("rejected" = fell back)."""
    if argv[:1] != ["network"] or "-h" in argv or "--help" in argv:
        return "rejected"
    try:
        body, kwargs = network_fast.parse(argv[1:])
    except network_fast.Unsure:
        return "rejected"
    return body, [(kwargs, [])]


NETWORK_COMMANDS = ["ls", "list", "inspect", "create", "rm", "remove", "prune", "connect",
                    "disconnect"]


@pytest.mark.parametrize("command", NETWORK_COMMANDS)
def test_fast_parser_matches_typer(typer_network, command):
    real, recorder = typer_network
    cmd = real.commands["network"].commands[command]
    lines = command_lines(("network", command), cmd) + [
        ["network", command, "--help"], ["network", command, "-h"]]
    accepted = 0
    for argv in lines:
        expected = typer_result(real, recorder, argv)
        fast = _fast_result(argv)
        if fast == "rejected":
            continue                         # typer decides (both outcomes are fine)
        body, calls = fast
        assert expected != "rejected" and len(expected) == 2, argv   # root callback + command
        assert calls == expected[1:], argv
        assert body == {"list": "ls", "remove": "rm"}.get(command, command)
        accepted += 1
    assert accepted > 5


def test_declarations_match_the_typer_commands(typer_network):
    """Every option word, its kind and default, and the arguments of each network command."""
    real, _ = typer_network
    group = real.commands["network"]
    assert sorted(network_fast.COMMANDS) == sorted(group.commands)
    for name, (body, options, arguments, defaults) in network_fast.COMMANDS.items():
        cmd = group.commands[name]
        declared_opts, declared_args, declared_defaults = {}, [], {}
        for p in cmd.params:
            if p.param_type_name == "argument":
                declared_args.append((p.name, "many" if p.nargs == -1 else "one"))
                continue
            if p.name == "help":
                continue
            kind = ("flag" if p.is_flag else "list" if p.multiple
                    else "int" if p.type.name in ("int", "integer") else "str")
            for word in p.opts + p.secondary_opts:
                declared_opts[word] = (p.name, kind)
            declared_defaults[p.name] = None if p.multiple else p.default
        assert options == declared_opts, name
        assert arguments == declared_args, name
        assert defaults == declared_defaults, name
        assert getattr(network_ops, body).__name__ == body


@pytest.mark.parametrize("argv", [
    ["network", "create", "--subnet", "10.1.0.0/24", "-d", "bridge", "n1"],
    ["network", "create", "n1", "--label", "a=b", "--label=c=d", "-oX=1", "--internal"],
    ["network", "ls", "-fname=x", "-q", "--no-trunc", "--format", "{{.Name}}"],
    ["network", "inspect", "-f", "{{.Id}}", "a", "b"], ["network", "rm", "-f", "a", "--", "-b"],
    ["network", "connect", "--alias", "x", "--gw-priority", "-1", "n", "c"],
    ["network", "connect", "--gw-priority=-1", "n", "c"],
    ["network", "disconnect", "n", "c", "-f"], ["network", "prune", "--filter", "label=a"],
    ["network", "create", "-qn"], ["network", "ls", "-qf", "x"], ["network", "rm"],
    ["network", "create", "a", "b"], ["network", "ls", "--quiet=1"],
])
def test_hand_written_lines(typer_network, argv):
    real, recorder = typer_network
    expected = typer_result(real, recorder, argv)
    fast = _fast_result(argv)
    if fast != "rejected":
        assert expected != "rejected" and fast[1] == expected[1:], argv


def test_bad_parallel_limit_falls_back_to_typer(monkeypatch):
    monkeypatch.setenv("COMPOSE_PARALLEL_LIMIT", "many")
    assert network_fast.try_run(["network", "ls"]) is None
    monkeypatch.setenv("COMPOSE_PARALLEL_LIMIT", "3")
    monkeypatch.setenv("_PYCOMPOSE_COMPLETE", "complete_bash")
    assert network_fast.try_run(["network", "ls"]) is None


def _records():
    base = {"id": "ab" * 32, "name": "n1", "driver": "bridge", "internal": False,
            "attachable": True, "enable_ipv6": True, "ipam_driver": "default",
            "labels": {"b": "2", "a": "1"}, "options": {"o": "v"},
            "created": "2024-05-01T10:00:00.123456Z", "bridge": "pcbr-abababab",
            "requested_pools": [{"subnet": "10.9.0.0/24", "ip_range": "10.9.0.128/25",
                                 "gateway": "10.9.0.1", "aux_addresses": {"h": "10.9.0.2"}}],
            "subnet": "10.9.0.0/24", "ip_range": "10.9.0.128/25", "gateway": "10.9.0.1",
            "aux": {"h": "10.9.0.2"}, "subnet6": "fd00:1::/64", "gateway6": "fd00:1::1"}
    plain = dict(base, id="cd" * 32, name="plain", internal=True, enable_ipv6=False,
                 labels={}, options={}, requested_pools=[], ip_range="", aux={})
    del plain["subnet6"], plain["gateway6"]
    host = {"id": "ef" * 32, "name": "host", "driver": "host", "internal": False,
            "attachable": False, "enable_ipv6": False, "ipam_driver": "default", "labels": {},
            "options": {}, "created": "2024-05-01T10:00:00.000000Z", "bridge": "",
            "requested_pools": [], "subnet": "", "gateway": "", "ip_range": "", "aux": {},
            "predefined": True}
    eps = {"c" * 64: {"name": "web", "ip": "10.9.0.3", "prefixlen": 24, "mac": "02:42:0a:09:00:03",
                      "endpoint_id": "e1", "ip6": "fd00:1::3", "prefixlen6": 64},
           "d" * 64: {"name": "db", "ip": "10.9.0.4", "prefixlen": 24}}
    return [(base, eps), (plain, {}), (host, {"e" * 64: {"Name": "h", "EndpointID": ""}})]


@pytest.mark.parametrize("index", range(3))
def test_record_outputs_equal_the_info_outputs(index):
    from compose.cli.network_cmd import _row
    rec, eps = _records()[index]
    info = store.to_info(rec, eps)
    assert store.inspect_doc(rec, eps) == store.inspect_dict(info, rec)
    assert network_ops.record_row(rec) == _row(info)


def test_plain_table_equals_emit():
    from compose.cli.image_format import emit
    rows = [network_ops.record_row(rec) for rec, _ in _records()]
    rows.append(dict(rows[0], ID="x" * 64, Name="a-much-longer-network-name", Driver=""))
    for subset in (rows, rows[:1], []):
        out = []
        emit("", subset, network_ops.LS_COLUMNS, out.append, headers=network_ops.LS_HEADERS)
        assert network_ops.plain_table([network_ops.LS_HEADERS[c] for c in network_ops.LS_COLUMNS],
                                       [[r[c] for c in network_ops.LS_COLUMNS] for r in subset]) == out[0]


def test_lean_json_writer_equals_json():
    import json
    import random

    from engine import layout
    rng = random.Random(11)

    def value(depth=0):
        pick = rng.randint(0, 9 if depth < 4 else 5)
        if pick == 0:
            return rng.choice(["", "a", "\u00fc\t", 'x"y\\', "\ud800", "\u2028"])
        if pick == 1:
            return rng.randint(-10 ** 20, 10 ** 20)
        if pick == 2:
            return rng.random() * 10 ** rng.randint(-5, 20)
        if pick in (3, 4, 5):
            return rng.choice([True, False, None, "k"])
        if pick in (6, 7):
            return {rng.choice("abcdefgh") + str(i): value(depth + 1) for i in range(rng.randint(0, 4))}
        return [value(depth + 1) for _ in range(rng.randint(0, 4))] if pick == 8 else \
            tuple(value(depth + 1) for _ in range(rng.randint(0, 3)))
    docs = [value() for _ in range(500)] + [{"a": float("nan")}, {1: "x"}, {None: 1}]
    for doc in docs:
        for kwargs in ({}, {"indent": 1, "sort_keys": True}, {"indent": 4}, {"sort_keys": True}):
            assert layout.dumps(doc, **kwargs) == json.dumps(doc, **kwargs), (doc, kwargs)
    with pytest.raises(TypeError):
        layout.dumps({"a": {1, 2}})


def test_lean_json_reader_equals_json(tmp_path):
    import json
    docs = [{"a": [1, 2.5, None, True], "b": "\u00e9\\\"x", "n": {"deep": {}}}, [], "s", 3,
            {"inf": float("inf")}]
    for doc in docs:
        for text in (json.dumps(doc), json.dumps(doc, indent=1, sort_keys=True) + "\n"):
            assert store.loads(text.encode()) == json.loads(text)
    for bad in (b"", b"{", b"[1] x", b'{"a": 1}}', b"\xff"):
        with pytest.raises(ValueError):
            store.loads(bad)
    assert store.loads(b' \n{"a": 1}') == {"a": 1}
    assert store.loads('\ufeff{"a": 1}'.encode("utf-8")) == {"a": 1}


def test_network_ls_runs_without_typer_or_pathlib(engine_dirs):
    """`network ls` and `inspect` through main.run: the fast path, and none of the heavy
    modules (not even re: a console script that does not import it gets the full benefit)."""
    import subprocess
    root, runroot = engine_dirs
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=repo, PYCOMPOSE_ROOT=str(root),
               PYCOMPOSE_RUNROOT=str(runroot))
    code = ("import sys; from compose.cli.main import run; code = run(['network', 'ls']); "
            "code += run(['network', 'inspect', 'lsx1']); "
            "heavy = sorted(m for m in ('typer', 'compose.cli.app', 'pathlib', 'typing', 'json', "
            "'engine.types', 'datetime', 'hashlib', 'socket', 'shutil', 're', 'functools', "
            "'ipaddress') if m in sys.modules); print(code, heavy)")
    setup = "from compose.cli.main import run; run(['network', 'create', 'lsx1'])"
    subprocess.run([sys.executable, "-c", setup + "; run(['network', 'ls', '-q'])"], env=env,
                   check=True, capture_output=True)     # the default network made meanwhile
    try:
        out = subprocess.run([sys.executable, "-S", "-c", code], env=env, capture_output=True,
                             text=True, timeout=60)
    finally:
        subprocess.run([sys.executable, "-c", setup.replace("create", "rm")], env=env,
                       check=True, capture_output=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].split() == ["NETWORK", "ID", "NAME", "DRIVER", "SCOPE"]
    assert any(line.split()[1:] == ["lsx1", "bridge", "local"] for line in lines[1:])
    assert '        "Name": "lsx1",' in lines and lines[-1] == "0 []"


def _typer_path(argv, capsys):
    """Exit code, stdout and stderr of argv through the typer app (main.run's rendering)."""
    from engine.errors import EngineError
    try:
        code = cli_main.run_typer(argv)
    except EngineError as e:
        cli_main._error(str(e))
        code = e.exit_code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("argv", [
    ["network", "rm", "no-such-net-x"], ["network", "rm", "-f", "no-such-net-x"],
    ["network", "inspect", "nope-x"], ["network", "ls", "--filter", "bad"],
    ["network", "ls", "--filter", "color=red"], ["network", "create", "bad name"],
    ["network", "create", "--gateway", "10.0.0.1", "gw-only"],
    ["network", "disconnect", "host", "nobody"], ["network", "ls", "-q", "-f", "name=zz-none"],
])
def test_fast_path_output_equals_the_typer_path(engine_dirs, capsys, monkeypatch, argv):
    root, runroot = engine_dirs
    monkeypatch.setenv("PYCOMPOSE_ROOT", str(root))
    monkeypatch.setenv("PYCOMPOSE_RUNROOT", str(runroot))
    expected = _typer_path(argv, capsys)
    code = network_fast.try_run(argv)
    captured = capsys.readouterr()
    assert (code, captured.out, captured.err) == expected


def test_plain_container_hit_agrees_with_the_container_service(ceng):
    """connect/disconnect resolve a full id or exact name without the container service:
    whenever that answers, it is the service's answer."""
    from engine.errors import NotFound
    from tests.fixtures.containers import _spec
    made = [ceng.containers.create(_spec(["true"], name=name)) for name in ("web-x1", "db-x1")]
    odd = ceng.containers.create(_spec(["true"], name=made[0].id[:6]))   # a name that is a prefix
    refs = [c.id for c in made + [odd]] + ["web-x1", "/db-x1", made[1].id[:8], made[0].id[:6],
                                           "nobody-x1", "", "/"]
    answered = 0
    for ref in refs:
        hit = network_ops.plain_container_hit(ceng.paths, ref)
        try:
            expected = ceng.containers.inspect(ref).id
        except NotFound:
            expected = None
        if hit is not None:
            answered += 1
            assert hit == expected, ref
    assert answered >= 6
    os.unlink(os.path.join(ceng.paths.container_dir(made[1].id), "name"))
    assert network_ops.plain_container_hit(ceng.paths, "nobody-x1") is None  # unsure: service
    assert network_ops.plain_container_hit(ceng.paths, made[1].id) == made[1].id


@pytest.mark.parametrize("alias, ip, ip6, mac, prio", [
    (None, "", "", "", 0), (["a", "b"], "10.1.0.9", "fd00::9", "02:42:0a:01:00:09", -3)])
def test_connect_endpoint_dict_is_the_endpoint_spec_dict(alias, ip, ip6, mac, prio):
    from engine.types import EndpointSpec
    spec = EndpointSpec(aliases=tuple(alias or ()), ipv4_address=ip, ipv6_address=ip6,
                        mac_address=mac, gw_priority=prio)
    assert network_ops.endpoint_dict(alias, ip, ip6, mac, prio) == store.endpoint_spec_dict(spec)
