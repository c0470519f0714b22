"""Any YAML document yields a Project or a ComposeError, never another exception."""
import os
import string
import tempfile

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compose.errors import ComposeError
from compose.loader import LoadOptions, load_project

KEYS = ["services", "web", "image", "ports", "volumes", "networks", "depends_on", "build",
        "environment", "command", "healthcheck", "test", "deploy", "extends", "include",
        "profiles", "secrets", "configs", "name", "x-a", "<<", "external", "target", "source"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.floats(allow_nan=False),
                    st.text(alphabet=string.printable, max_size=12), st.sampled_from(KEYS),
                    st.sampled_from(["8080:80", "./a:/b", "${X:-1}", "$${Y}", "${", "a:b:c:d"]))
trees = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4),
    st.dictionaries(st.sampled_from(KEYS), children, max_size=4)), max_leaves=25)
documents = st.one_of(
    trees.map(lambda t: yaml.safe_dump({"services": t} if not isinstance(t, dict) else t)),
    st.text(alphabet=string.printable, max_size=80))

_DIR = tempfile.mkdtemp(prefix="pc-prop-")


def _load(text):
    path = os.path.join(_DIR, "compose.yaml")
    with open(path, "w") as fh:
        fh.write(text)
    try:
        load_project(LoadOptions(files=[path], cwd=_DIR, environ={"HOME": "/h"}))
    except ComposeError:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents)
def test_any_document_gives_project_or_compose_error(text):
    _load(text)
