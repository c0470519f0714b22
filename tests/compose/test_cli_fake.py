"""The project CLI end to end on the in-memory engine (real loader, real typer app)."""
from __future__ import annotations

import json
import threading

import pytest

from compose.cli.main import run as cli_run
from compose.cli.options import GlobalOptions
from compose.observe import observe

PROJECT = """
name: demo
services:
  db:
    image: busybox
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
  web:
    image: busybox
    command: ["httpd", "-f", "-p", "80"]
    ports: ["8080:80"]
    depends_on:
      db:
        condition: service_healthy
    volumes:
      - data:/data
  worker:
    image: busybox
    command: ["sleep", "1000"]
    depends_on: [web]
volumes:
  data: {}
"""


@pytest.fixture
def cli(fake_engine, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(GlobalOptions, "engine", lambda self: fake_engine)
    # only the project verbs: other command modules may be mid-work in the shared tree
    monkeypatch.setattr("compose.cli.app.COMMAND_MODULES", ["compose.cli.project_cmd"])
    monkeypatch.setattr("compose.executor.POLL_INTERVAL", 0.02)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYCOMPOSE_RUNROOT", str(tmp_path / "run"))   # the project cache
    fake_engine.behave("db", health="healthy")

    def run(*args, text: str = PROJECT):
        (tmp_path / "compose.yaml").write_text(text)
        capsys.readouterr()
        code = cli_run(["--progress", "plain", *args])
        out, err = capsys.readouterr()
        return code, out, err
    run.engine = fake_engine
    return run


def names(eng):
    return sorted(c.info.name for c in eng.containers.by_id.values())


def test_up_ps_down(cli):
    code, out, err = cli("up", "-d")
    assert code == 0, err
    assert names(cli.engine) == ["demo-db-1", "demo-web-1", "demo-worker-1"]
    assert "Container demo-web-1 Started" in err
    assert "Network demo_default Created" in err and "Volume demo_data Created" in err
    code, out, _ = cli("ps")
    assert out.splitlines()[0].split() == ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]
    assert "0.0.0.0:8080->80/tcp" in out and "(healthy)" in out
    code, out, _ = cli("ps", "--format", "json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert {r["Service"] for r in rows} == {"db", "web", "worker"}
    code, out, _ = cli("ls", "--format", "json")
    assert json.loads(out)[0]["Name"] == "demo"
    code, out, err = cli("down", "-v")
    assert code == 0, err
    assert names(cli.engine) == [] and not cli.engine.networks.by_name and not cli.engine.volumes.by_name


def test_labels_and_names_follow_docker_compose(cli):
    cli("up", "-d")
    info = cli.engine.containers.inspect("demo-web-1")
    assert info.labels["com.docker.compose.project"] == "demo"
    assert info.labels["com.docker.compose.service"] == "web"
    assert info.labels["com.docker.compose.container-number"] == "1"
    assert info.labels["com.docker.compose.oneoff"] == "False"
    assert info.labels["com.docker.compose.depends_on"] == "db:service_healthy:false"
    assert info.labels["com.docker.compose.image"].startswith("sha256:")
    assert len(info.labels["com.docker.compose.config-hash"]) == 64
    assert info.spec.networks["demo_default"].aliases == ("web",)
    net = cli.engine.networks.by_name["demo_default"]
    assert net.labels["com.docker.compose.network"] == "default"


def test_up_twice_is_a_no_op_and_change_recreates(cli):
    cli("up", "-d")
    cli.engine.calls.clear()
    code, out, err = cli("up", "-d")
    assert [c for c in cli.engine.mutations() if not c.startswith("image.")] == []
    assert "Container demo-web-1 Running" in err
    # Docker Compose's start phase still waits for web's healthy dependency
    assert err.splitlines() == ["Container demo-db-1 Running", "Container demo-web-1 Running",
                                "Container demo-worker-1 Running", "Container demo-db-1 Waiting",
                                "Container demo-db-1 Healthy"], err
    code, out, err = cli("up", "-d", text=PROJECT.replace("sleep\", \"1000", "sleep\", \"2000"))
    assert "Container demo-worker-1 Recreate config hash diverged" in err
    renames = [c for c in cli.engine.calls if c.startswith("container.rename")]
    assert len(renames) == 1 and renames[0].endswith(" demo-worker-1")
    assert renames[0].split()[1].endswith("_demo-worker-1")          # <old-id-12>_<name>


def test_dry_run_prints_plan_and_changes_nothing(cli):
    code, out, err = cli("--dry-run", "up", "-d")
    assert code == 0, err
    assert "container demo-db-1                    create     not found" in out
    assert names(cli.engine) == []


@pytest.mark.parametrize("args,message", [
    (["-d", "--abort-on-container-exit"], "cannot be combined with -d"),
    (["--wait", "--exit-code-from", "web"], "cannot be combined with -d"),
    (["--abort-on-container-exit", "--abort-on-container-failure"], "mutually exclusive"),
    (["--build", "--no-build"], "incompatible"),
    (["--no-recreate", "--force-recreate"], "--no-recreate is incompatible"),
    (["-d", "--attach", "web"], "--attach"),
    (["--wait-timeout", "-1", "-d"], "--wait-timeout"),
    (["--scale", "web"], "invalid --scale"),
])
def test_up_flag_validation(cli, args, message):
    code, out, err = cli("up", *args)
    assert code != 0 and message in err
    assert names(cli.engine) == []


def test_dependency_unhealthy_fails_with_reason(cli):
    cli.engine.behave("db", health="unhealthy")
    code, out, err = cli("up", "-d")
    assert code == 1
    assert "dependency failed to start: container demo-db-1 is unhealthy" in err
    assert not cli.engine.containers.inspect("demo-web-1").state.running


def test_missing_image_fails_before_creating_anything(cli):
    cli.engine.pull_fails.add("nosuch:latest")
    code, out, err = cli("up", "-d", text=PROJECT.replace("image: busybox\n    command: [\"sleep\"", "image: nosuch:latest\n    command: [\"sleep\""))
    assert code == 1 and "nosuch" in err
    assert names(cli.engine) == []


ABORT = """
name: demo
services:
  quick:
    image: busybox
  slow:
    image: busybox
"""


def test_abort_on_container_exit_returns_first_exit_code(cli):
    cli.engine.behave("quick", exit_code=3, exit_after=0.2, logs=("hello from quick",))
    code, out, err = cli("up", "--abort-on-container-exit", "--no-color", text=ABORT)
    assert code == 3, err
    assert "quick-1  | hello from quick" in out
    assert "quick-1 exited with code 3" in out
    assert not cli.engine.containers.inspect("demo-slow-1").state.running


def test_exit_code_from(cli):
    cli.engine.behave("quick", exit_code=0, exit_after=0.1)
    cli.engine.behave("slow", exit_code=5, exit_after=0.4)
    code, out, err = cli("up", "--exit-code-from", "slow", text=ABORT)
    assert code == 143 or code == 5          # slow was stopped (143) or exited by itself (5)


def test_abort_on_failure_ignores_zero_exit(cli):
    cli.engine.behave("quick", exit_code=0, exit_after=0.1)
    cli.engine.behave("slow", exit_code=4, exit_after=0.5)
    code, out, err = cli("up", "--abort-on-container-failure", text=ABORT)
    assert code == 4


ONESHOT = """
name: demo
services:
  init:
    image: busybox
  app:
    image: busybox
    depends_on:
      init:
        condition: service_completed_successfully
"""


def test_up_wait_accepts_one_shot_dependency(cli):
    cli.engine.behave("init", exit_code=0, exit_after=0.0)
    code, out, err = cli("up", "--wait", text=ONESHOT)
    assert code == 0, err
    cli("down")
    code, out, err = cli("up", "--wait", text=ONESHOT.split("  app:")[0])
    assert code == 1 and "container demo-init-1 exited (0)" in err


def test_completed_successfully_failure(cli):
    cli.engine.behave("init", exit_code=2, exit_after=0.05)
    code, out, err = cli("up", "-d", text=ONESHOT)
    assert code == 1
    assert 'service "init" didn\'t complete successfully: exit 2' in err


def test_scale_stop_start_rm_kill_pause(cli):
    cli("up", "-d")
    assert cli("scale", "worker=3")[0] == 0
    assert names(cli.engine).count("demo-worker-3") == 1
    code, out, err = cli("stop", "worker")
    assert code == 0 and "Container demo-worker-2 Stopped" in err
    assert cli("start", "worker")[0] == 0
    assert cli.engine.containers.inspect("demo-worker-2").state.running
    assert cli("pause", "web")[0] == 0
    assert cli.engine.containers.inspect("demo-web-1").state.paused
    assert cli("unpause", "web")[0] == 0
    assert cli("kill", "worker")[0] == 0
    assert cli("rm", "-f", "worker")[0] == 0
    assert "demo-worker-1" not in names(cli.engine)
    code, out, _ = cli("port", "web", "80")
    assert out.strip() == "0.0.0.0:8080"


def test_run_one_off(cli):
    cli.engine.behave("demo-worker-run-*", exit_code=7, logs=("one-off output",))
    code, out, err = cli("run", "--rm", "worker", "echo", "hi")
    assert code == 7, err
    assert "one-off output" in out
    created = [c for c in cli.engine.calls if c.startswith("container.create demo-worker-run-")]
    assert len(created) == 1 and len(created[0].split("-run-")[1]) == 12
    assert "container.create demo-web-1" in cli.engine.calls        # dependencies were started
    assert not any("-run-" in n for n in names(cli.engine))          # --rm removed it


def test_orphans_and_remove_orphans(cli):
    cli("up", "-d")
    smaller = PROJECT.split("  worker:")[0] + "volumes:\n  data: {}\n"
    code, out, err = cli("up", "-d", text=smaller)
    assert "Found orphan containers (demo-worker-1)" in err
    code, out, err = cli("up", "-d", "--remove-orphans", text=smaller)
    assert "demo-worker-1" not in names(cli.engine)


def test_down_without_file_uses_labels(cli, tmp_path):
    cli("up", "-d")
    (tmp_path / "compose.yaml").unlink()
    code = cli_run(["-p", "demo", "down"])
    assert code == 0
    assert names(cli.engine) == []


def test_two_concurrent_ups_converge(cli, tmp_path, fake_engine):
    from compose.loader import LoadOptions, load_project
    from compose.project_ops.up import converge
    from compose.reconcile import UpOptions
    (tmp_path / "compose.yaml").write_text(PROJECT)
    project = load_project(LoadOptions(cwd=str(tmp_path)))
    errors = []

    def go():
        try:
            converge(fake_engine, project, UpOptions())
        except Exception as e:          # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert names(fake_engine) == ["demo-db-1", "demo-web-1", "demo-worker-1"]
    assert len(fake_engine.networks.by_name) == 1


def test_attach_selection(cli):
    cli.engine.behave("quick", exit_code=0, exit_after=0.1, logs=("from quick",))
    cli.engine.behave("slow", exit_code=0, exit_after=0.2, logs=("from slow",))
    code, out, err = cli("up", "--no-color", "--no-attach", "slow", text=ABORT)
    assert code == 0, err
    assert "quick-1  | from quick" in out and "from slow" not in out
    cli("down")
    code, out, err = cli("up", "--no-color", "--no-log-prefix", "--attach", "slow", text=ABORT)
    assert out.splitlines()[:2] == ["Attaching to slow-1", "from slow"]


def test_ignore_orphans_env(cli, monkeypatch):
    cli("up", "-d")
    smaller = PROJECT.split("  worker:")[0] + "volumes:\n  data: {}\n"
    monkeypatch.setenv("COMPOSE_IGNORE_ORPHANS", "true")
    code, out, err = cli("up", "-d", text=smaller)
    assert "orphan" not in err
    monkeypatch.setenv("COMPOSE_REMOVE_ORPHANS", "1")
    monkeypatch.delenv("COMPOSE_IGNORE_ORPHANS")
    cli("up", "-d", text=smaller)
    assert "demo-worker-1" not in names(cli.engine)


def test_create_then_start_restart(cli):
    assert cli("create")[0] == 0
    assert not cli.engine.containers.inspect("demo-web-1").state.running
    assert cli("start")[0] == 0
    assert all(cli.engine.containers.inspect(n).state.running for n in names(cli.engine))
    code, out, err = cli("start")          # Docker Compose: nothing for running containers,
    assert (code, err.splitlines()) == (0, ["Container demo-db-1 Waiting",   # but the waits
                                            "Container demo-db-1 Healthy"])
    code, out, err = cli("restart", "web")
    assert code == 0 and "Container demo-web-1 Restarting\nContainer demo-web-1 Started" in err


def test_listing_commands(cli):
    cli.engine.behave("worker", logs=("l1", "l2", "l3"))
    cli("up", "-d")
    assert cli("ps", "--services")[1].split() == ["db", "web", "worker"]
    assert len(cli("ps", "-q")[1].split()) == 3
    assert cli("ls", "-q")[1] == "demo\n"
    assert cli("ls")[1].splitlines()[1].split()[:2] == ["demo", "running(3)"]
    code, out, _ = cli("logs", "--no-color", "--tail", "2", "worker")
    assert out == "worker-1  | l2\nworker-1  | l3\n"
    code, out, _ = cli("images")
    assert out.splitlines()[0].split() == ["CONTAINER", "REPOSITORY", "TAG", "IMAGE", "ID", "SIZE"]
    assert "demo-web-1" in out and "busybox" in out
    code, out, _ = cli("top", "worker")
    assert out.startswith("demo-worker-1\n") and "sleep 1000" in out
    code, out, _ = cli("exec", "-T", "web", "echo", "hi")
    assert code == 0 and out == "hi\n"
    assert cli("version", "--short")[1].strip()
    code, out, _ = cli("ps", "--status", "exited")
    assert len(out.splitlines()) == 1                      # header only


def test_progress_json_lines(cli, capsys):
    code, out, err = cli("--progress", "json", "up", "-d")
    events = [json.loads(line) for line in err.splitlines()]
    assert {"kind": "container", "id": "demo-web-1", "status": "Started"} in events


def test_down_rmi_all_and_services_argument(cli):
    cli("up", "-d")
    code, out, err = cli("down", "worker")
    assert names(cli.engine) == ["demo-db-1", "demo-web-1"]
    assert "demo_default" in cli.engine.networks.by_name        # networks stay with SERVICES
    cli("down", "--rmi", "all")
    assert "busybox:latest" not in cli.engine.images.store
    assert cli("down", "--rmi", "some")[0] != 0


def test_unknown_service_is_a_clear_error(cli):
    code, out, err = cli("up", "-d", "nope")
    assert code != 0 and "nope" in err
    assert "Traceback" not in err


def test_wait_returns_first_exit_code(cli):
    cli.engine.behave("quick", exit_code=6, exit_after=0.2)
    cli("up", "-d", text=ABORT)
    code, out, err = cli("wait", "quick", "slow", "--down-project", text=ABORT)
    assert code == 6
    assert names(cli.engine) == []


def test_dry_run_run_and_down(cli):
    code, out, err = cli("--dry-run", "run", "--rm", "worker", "true")
    assert code == 0, err
    assert "container demo-db-1                    create     not found" in out
    assert "create     one-off" in out
    assert names(cli.engine) == []
    cli("up", "-d")
    code, out, err = cli("--dry-run", "down")
    assert "container demo-web-1                   remove" in out
    assert len(names(cli.engine)) == 3


def test_down_of_unknown_project_warns(cli):
    code, out, err = cli("-p", "ghost", "down")
    assert code == 0 and 'No resource found to remove for project "ghost"' in err


def test_selected_services_are_not_orphans(cli):
    """`up -d web`: worker (outside the selection, still in the file) is no orphan, and
    --remove-orphans leaves it alone (Docker Compose: orphans are containers of services
    missing from the whole project, profile-disabled ones included)."""
    cli("up", "-d")
    code, out, err = cli("up", "-d", "web")
    assert code == 0, err
    assert "orphan" not in err
    code, out, err = cli("up", "-d", "--remove-orphans", "web")
    assert code == 0, err
    assert "demo-worker-1" in names(cli.engine)
    code, out, err = cli("down", "--remove-orphans", "db")
    assert "demo-worker-1" in names(cli.engine)


def test_ps_format_go_templates(cli):
    """`ps --format` takes Go templates like Docker Compose (fields of its ps JSON)."""
    cli("up", "-d")
    code, out, err = cli("ps", "--format", "{{.Name}} {{.Service}} {{.Ports}}")
    assert code == 0, err
    assert out.splitlines() == ["demo-db-1 db ", "demo-web-1 web 0.0.0.0:8080->80/tcp",
                                "demo-worker-1 worker "]
    code, out, err = cli("ps", "--format", r"table {{.Name}}\t{{.Status}}\t{{.Health}}")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "<no", "value>"], out
    assert lines[1].startswith("demo-db-1       Up ") and lines[1].endswith("(healthy)   healthy")
    code, out, err = cli("ps", "--format", '{{.Label "com.docker.compose.service"}} {{json .Publishers}} {{.Publishers}}')
    assert out.splitlines()[1] == ('web [{"URL":"0.0.0.0","TargetPort":80,"PublishedPort":8080,'
                                   '"Protocol":"tcp"}] [{0.0.0.0 80 8080 tcp}]')
    code, out, err = cli("ps", "--format", "{{.ID}}")
    assert [len(line) for line in out.splitlines()] == [12, 12, 12]
    code, out, err = cli("ps", "--format", "{{.Nope}}")
    assert code != 0 and out == ""
    assert "can't evaluate field Nope in type *formatter.ContainerContext" in err
    # ls and images take no templates in Docker Compose: table, pretty or json (any case)
    for args in (("ls", "--format", "{{.Name}}"), ("images", "--format", "{{.Repository}}")):
        code, out, err = cli(*args)
        assert (code, out) == (1, ""), args
        assert err.strip() == f'format value "{args[2]}" could not be parsed: parsing failed'
    code, out, err = cli("ls", "--format", "JSON")
    assert code == 0 and json.loads(out)[0]["Name"] == "demo"
