"""End-to-end loading: names, paths, extends, include, profiles, environment, checks, errors."""
import os

import pytest

from compose.errors import ComposeError, ConfigError, DependencyCycle


def test_names_defaults_and_paths(load, project_dir):
    p = load("""
        name: "My.Named-${SUFFIX}"
        services:
          web:
            build: ./app
            volumes: ["./data:/data", "vol:/v", "~/x:/x"]
            env_file: [vars.env]
          db: {image: postgres, networks: [back]}
        volumes: {vol: {}, unused: {}}
        networks: {back: {}, other: {}}
    """, environ={"SUFFIX": "Dev"}, extra={"vars.env": "A=1\n"})
    assert p.name == "mynamed-dev"
    web = p.services["web"]
    assert web.build.context == str(project_dir / "app") and web.build.dockerfile == "Dockerfile"
    assert [v.source for v in web.volumes] == [str(project_dir / "data"), "vol", "/home/u/x"]
    assert web.environment == {"A": "1"}
    assert set(p.networks) == {"default", "back"} and p.networks["back"].name == "mynamed-dev_back"
    assert set(p.volumes) == {"vol"} and p.volumes["vol"].name == "mynamed-dev_vol"
    assert web.networks == {"default": None}


def test_directory_name_is_normalised(tmp_path):
    from compose.loader import LoadOptions, load_project
    d = tmp_path / "My.App_Dir"
    d.mkdir()
    (d / "compose.yaml").write_text("services: {a: {image: x}}\n")
    assert load_project(LoadOptions(cwd=str(d), environ={})).name == "myapp_dir"


def test_extends_same_file_other_file_and_chain(load, project_dir):
    p = load("""
        services:
          base: {image: a, environment: {A: "1"}, cap_add: [X]}
          mid: {extends: base, environment: {B: "2"}}
          top: {extends: {service: mid}, cap_add: [Y], image: b}
          remote: {extends: {file: sub/other.yaml, service: r}}
    """, extra={"sub/other.yaml": "services:\n  r:\n    image: r\n    build: ./ctx\n"})
    top = p.services["top"]
    assert top.image == "b" and top.environment == {"A": "1", "B": "2"} and top.cap_add == ("X", "Y")
    assert p.services["remote"].build.context == str(project_dir / "sub" / "ctx")


def test_circular_extends(load):
    with pytest.raises(DependencyCycle, match="a -> b -> a"):
        load("services:\n  a: {extends: b, image: x}\n  b: {extends: a}\n")


def test_include_has_own_directory_and_env(load, project_dir):
    p = load("""
        include:
          - lib/compose.yaml
        services:
          app: {image: "app:${TAG:-none}", depends_on: [lib]}
    """, extra={"lib/compose.yaml": "services:\n  lib:\n    image: 'lib:${LIBTAG}'\n    build: .\n",
                "lib/.env": "LIBTAG=fromlib\n"})
    assert p.services["lib"].image == "lib:fromlib"
    assert p.services["lib"].build.context == str(project_dir / "lib")
    assert p.services["app"].image == "app:none"


def test_include_conflict_and_cycle(load):
    with pytest.raises(ConfigError, match="conflicts with imported resource"):
        load("include: [lib.yaml]\nservices: {lib: {image: x}}\n",
             extra={"lib.yaml": "services: {lib: {image: y}}\n"})
    with pytest.raises(DependencyCycle, match="include cycle"):
        load("include: [a.yaml]\nservices: {x: {image: x}}\n",
             extra={"a.yaml": "include: [b.yaml]\nservices: {a: {image: a}}\n",
                    "b.yaml": "include: [a.yaml]\nservices: {b: {image: b}}\n"})


def test_profiles(load):
    text = """
        services:
          web: {image: w, depends_on: {dbg: {condition: service_started, required: false}}}
          dbg: {image: d, profiles: [debug]}
          tool: {image: t, profiles: [tools], depends_on: [dbg]}
    """
    assert set(load(text).services) == {"web"}
    assert set(load(text, profiles=["debug"]).services) == {"web", "dbg"}
    assert set(load(text, profiles=["*"]).services) == {"web", "dbg", "tool"}
    with pytest.raises(ConfigError, match='service "dbg" is required by "tool" but is disabled'):
        load(text, services=["tool"])


def test_compose_profiles_variable(load):
    p = load("services:\n  a: {image: a, profiles: [p]}\n", environ={"COMPOSE_PROFILES": "p"})
    assert set(p.services) == {"a"}


@pytest.mark.parametrize("text,message", [
    ("services: {a: {image: x, networks: [nope]}}", "refers to undefined network nope"),
    ("services: {a: {image: x, volumes: ['nope:/d']}}", "refers to undefined volume nope"),
    ("services: {a: {image: x, secrets: [s]}}", "refers to undefined secret s"),
    ("services: {a: {image: x, depends_on: [ghost]}}", 'depends on undefined service "ghost"'),
    ("services: {a: {build: ., container_name: cc, scale: 2}}", "container name must be unique"),
    ("services: {a: {image: x, volumes: ['/d'], tmpfs: ['/d']}}", "already mounted"),
    ("services: {a: {environment: {A: 1}}}", "neither an image nor a build context"),
    ("services: {a: {image: x, network_mode: host, networks: [n]}}\nnetworks: {n: {}}", "mutually exclusive"),
    ("services: {a: {image: x, scale: 2, deploy: {replicas: 3}}}", "distinct values"),
])
def test_semantic_checks(load, text, message):
    with pytest.raises(ConfigError, match=message):
        load(text)


def test_depends_on_cycle_shows_trail(load):
    with pytest.raises(DependencyCycle) as err:
        load("services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, links: [a]}\n")
    assert str(err.value) == "dependency cycle detected: a -> b -> a"


def test_bad_input_messages(load, project_dir):
    with pytest.raises(ConfigError, match="required variable X is missing a value: set X"):
        load("services: {a: {image: '${X:?set X}'}}\n")
    with pytest.raises(ConfigError, match="env file .*missing.env not found"):
        load("services: {a: {image: x, env_file: missing.env}}\n")
    with pytest.raises(ConfigError, match="empty compose file"):
        load("# nothing\n")
    with pytest.raises(ConfigError) as err:
        load("services:\n  a:\n    image: x\n    image: y\n")
    assert "compose.yaml" in str(err.value) and err.value.issues[0].line == 4


def test_unreadable_file(load, project_dir):
    if os.geteuid() == 0:
        (project_dir / "compose.yaml").mkdir()
        with pytest.raises(ComposeError):
            load(files=["compose.yaml"])
    else:  # pragma: no cover
        (project_dir / "compose.yaml").write_text("services: {}\n")
        os.chmod(project_dir / "compose.yaml", 0)
        with pytest.raises(ComposeError, match="permission denied"):
            load(files=["compose.yaml"])


def test_unset_variable_warns(load, warnings):
    p = load("services: {a: {image: 'x:${NOPE}'}}\n")
    assert p.services["a"].image == "x:"
    assert warnings == ['The "NOPE" variable is not set. Defaulting to a blank string.']


def test_environment_resolution(load):
    p = load("""
        services:
          a:
            image: x
            env_file: [one.env, {path: opt.env, required: false}]
            environment: [FROM_OS, UNSET, B=local]
    """, environ={"FROM_OS": "os"}, extra={"one.env": "A=1\nB=file\n"})
    assert p.services["a"].environment == {"A": "1", "B": "local", "FROM_OS": "os", "UNSET": None}


def test_implicit_dependencies(load):
    p = load("""
        services:
          a: {image: x, links: [b], volumes_from: [c], network_mode: "service:d"}
          b: {image: x}
          c: {image: x}
          d: {image: x}
    """)
    deps = p.services["a"].depends_on
    assert deps["b"].restart and not deps["c"].restart and deps["d"].restart
    assert p.services["a"].networks == {}


def test_unknown_key_did_you_mean_and_wrong_type(load):
    with pytest.raises(ConfigError) as err:
        load("services:\n  a:\n    imagee: x\n    ports: {a: 1}\n")
    issues = {i.path: i for i in err.value.issues}
    assert "did you mean 'image'" in issues["services.a.imagee"].message
    assert issues["services.a.imagee"].line == 3
    assert "must be an array" in issues["services.a.ports"].message


def test_appended_lists_must_stay_unique_and_deduplicated_lists_merge(load):
    with pytest.raises(ConfigError, match="security_opt items at 0 and 1 are equal"):
        load("services:\n  b: {image: a, security_opt: [s]}\n  a: {extends: b, security_opt: [s, t]}\n")
    p = load("services:\n  b: {image: a, cap_add: [X]}\n  a: {extends: b, cap_add: [X, Y]}\n")
    assert p.services["a"].cap_add == ("X", "Y")


def test_environment_key_with_trailing_space(load):
    with pytest.raises(ConfigError, match="declared with a trailing space"):
        load("services:\n  a:\n    image: x\n    environment: ['A = 1']\n")
