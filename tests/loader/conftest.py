"""Helpers for loader tests: write a project into tmp_path and load it without touching os.environ."""
import textwrap

import pytest

from compose.loader import LoadOptions, load_project


@pytest.fixture
def project_dir(tmp_path):
    d = tmp_path / "myproj"
    d.mkdir()
    return d


@pytest.fixture
def warnings():
    return []


@pytest.fixture
def load(project_dir, warnings):
    """load(yaml_text, files=[...], environ={...}, extra={name: text}, **LoadOptions) -> Project."""
    def _load(text=None, *, files=None, environ=None, extra=None, **kw):
        if text is not None:
            (project_dir / "compose.yaml").write_text(textwrap.dedent(text))
        for name, content in (extra or {}).items():
            p = project_dir / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(content))
        env = {"HOME": "/home/u", "PATH": "/usr/bin"}
        env.update(environ or {})
        opts = LoadOptions(files=[str(project_dir / f) for f in (files or [])], environ=env,
                           cwd=str(project_dir), on_warning=warnings.append, **kw)
        return load_project(opts)
    return _load
