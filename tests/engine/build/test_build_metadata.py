"""Metadata instructions applied to a stage state (no engine): Docker's expansion rules."""
import pytest

from engine.build.dockerfile import parse_nodes
from engine.build.state import StageState, apply_metadata, parse_duration, run_env_prefix
from engine.errors import BuildError


def apply(text, st=None, build_args=None, global_args=None):
    st = st or StageState(name="s", image={"config": {"Env": ["HOME=/root"], "Cmd": ["sh"]}})
    used = set()
    out = []
    for node in parse_nodes("FROM x\n" + text).nodes[1:]:
        out.append(apply_metadata(node, st, "\\", build_args or {}, global_args or {}, used))
    return st, out, used


def test_env_pairs_expand_against_the_old_environment():
    st, out, _ = apply("ENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n")
    env = st.env_dict()
    assert (env["def"], env["ghi"], env["abc"]) == ("hello", "bye", "bye")
    assert out[1] == "ENV abc=bye def=hello"


def test_env_overrides_arg_and_arg_values():
    st, out, used = apply("ARG A=default B C\nENV A=from-env\nLABEL l=$A-$B-$C\n",
                          build_args={"B": "cli"}, global_args={"C": "global"})
    assert st.config["Labels"] == {"l": "from-env-cli-global"}
    assert used == {"B"}
    assert out[0] == "ARG A=default B=cli C=global"
    prefix, env = run_env_prefix(st)
    assert prefix == ["B=cli", "C=global"] and "A" not in env     # ENV A shadows ARG A


def test_undeclared_global_arg_is_not_visible():
    st, _, _ = apply("LABEL v=[$V]\n", global_args={"V": "1"})
    assert st.config["Labels"] == {"v": "[]"}


def test_cmd_entrypoint_rules():
    st, out, _ = apply('ENTRYPOINT ["/bin/app"]\n')
    assert st.config["Cmd"] is None and out == ['ENTRYPOINT ["/bin/app"]']
    st, _, _ = apply('CMD ["a"]\nENTRYPOINT /bin/app --flag\n')
    assert st.config["Cmd"] == ["a"]
    assert st.config["Entrypoint"] == ["/bin/sh", "-c", "/bin/app --flag"]
    st, _, _ = apply('SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nCMD echo $HOME\n')
    assert st.config["Cmd"] == ["/bin/bash", "-o", "pipefail", "-c", "echo $HOME"]


def test_expose_volume_user_workdir_stopsignal_maintainer():
    st, out, _ = apply("ENV P=8080 D=/data U=app\nEXPOSE $P 53/udp 7000-7001\n"
                       "VOLUME $D /logs\nVOLUME [\"/j\"]\nUSER $U:wheel\nWORKDIR /a\nWORKDIR b/../c\n"
                       "STOPSIGNAL SIGQUIT\nMAINTAINER Jane <j@x>\n")
    c = st.config
    assert c["ExposedPorts"] == {"8080/tcp": {}, "53/udp": {}, "7000/tcp": {}, "7001/tcp": {}}
    assert c["Volumes"] == {"/data": {}, "/logs": {}, "/j": {}}
    assert (c["User"], c["WorkingDir"], c["StopSignal"]) == ("app:wheel", "/a/c", "SIGQUIT")
    assert st.image["author"] == "Jane <j@x>"


def test_healthcheck_forms():
    st, _, _ = apply('HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s '
                     '--start-interval=1s --retries=5 CMD ["curl", "-f", "x"]\n')
    assert st.config["Healthcheck"] == {"Test": ["CMD", "curl", "-f", "x"], "Interval": 90 * 10**9,
                                        "Timeout": 5 * 10**8, "StartPeriod": 2 * 10**9,
                                        "StartInterval": 10**9, "Retries": 5}
    st, _, _ = apply("HEALTHCHECK NONE\n")
    assert st.config["Healthcheck"] == {"Test": ["NONE"]}
    with pytest.raises(BuildError, match="--retries must be at least 1"):
        apply("HEALTHCHECK --retries=0 CMD true\n")


@pytest.mark.parametrize("text,ns", [("30s", 30 * 10**9), ("1h", 3600 * 10**9), ("1.5s", 15 * 10**8),
                                     ("0", 0), ("2m3s", 123 * 10**9)])
def test_durations(text, ns):
    assert parse_duration(text, "x") == ns


def test_bad_expose_and_onbuild():
    with pytest.raises(BuildError, match="invalid port 'http'"):
        apply("EXPOSE http\n")
    st, out, _ = apply("ONBUILD RUN echo $HOME\n")
    assert st.config["OnBuild"] == ["RUN echo $HOME"]
