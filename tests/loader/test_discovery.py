"""File discovery, project directory and project name rules (§5.1, §5.6)."""
import pytest

from compose.errors import ProjectNotFound, UsageError
from compose.loader import LoadOptions
from compose.loader.discovery import normalize_project_name, resolve


def opts(cwd, **kw):
    kw.setdefault("environ", {"HOME": "/h"})
    return LoadOptions(cwd=str(cwd), **kw)


def test_default_file_and_one_override_found_in_parent(tmp_path):
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    (tmp_path / "compose.override.yml").write_text("services: {}\n")
    (tmp_path / "docker-compose.override.yml").write_text("services: {}\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    ctx = resolve(opts(sub))
    assert ctx.files == [str(tmp_path / "compose.yaml"), str(tmp_path / "compose.override.yml")]
    assert ctx.project_dir == str(tmp_path)


def test_no_file_found(tmp_path):
    with pytest.raises(ProjectNotFound, match="no configuration file provided"):
        resolve(opts(tmp_path))


def test_compose_file_variable_and_separator(tmp_path):
    for n in ("a.yml", "b.yml"):
        (tmp_path / n).write_text("services: {}\n")
    ctx = resolve(opts(tmp_path, environ={"COMPOSE_FILE": "a.yml;b.yml", "COMPOSE_PATH_SEPARATOR": ";"}))
    assert ctx.files == [str(tmp_path / "a.yml"), str(tmp_path / "b.yml")]


def test_dotenv_feeds_environment_but_os_wins(tmp_path):
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    (tmp_path / ".env").write_text("A=file\nB=file\nCOMPOSE_PROJECT_NAME=fromenv\n")
    ctx = resolve(opts(tmp_path, environ={"A": "os"}))
    assert ctx.environment["A"] == "os" and ctx.environment["B"] == "file"
    assert ctx.cli_name == "fromenv"


def test_project_name_validation_and_normalisation(tmp_path):
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    with pytest.raises(UsageError, match="invalid project name"):
        resolve(opts(tmp_path, project_name="MyApp"))
    assert normalize_project_name("My.App_Dir") == "myapp_dir"
    assert normalize_project_name("_-x") == "x"


def test_missing_f_file(tmp_path):
    with pytest.raises(ProjectNotFound, match="no such file"):
        resolve(opts(tmp_path, files=["nope.yml"]))
