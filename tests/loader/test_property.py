"""Any YAML document yields a Project or a ComposeError, never another exception."""
import os
import string
import tempfile

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from compose.errors import ComposeError
from compose.loader import LoadOptions, load_project

KEYS = ["services", "web", "image", "ports", "volumes", "networks", "depends_on", "build",
        "environment", "command", "healthcheck", "test", "deploy", "extends", "include",
        "profiles", "secrets", "configs", "name", "x-a", "<<", "external", "target", "source",
        "mem_limit", "memswap_limit", "ulimits", "stop_grace_period", "cpus", "interval",
        "tmpfs", "scale", "replicas", "resources", "limits", "memory", "env_file", "labels",
        "extra_hosts", "links", "network_mode", "volumes_from", "expose", "devices", "mode"]
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
@example(
    text='name: ${\n',
)  # an unterminated ${ in name: once escaped as a bare InterpolationError
def test_any_document_gives_project_or_compose_error(text):
    _load(text)


SERVICE_KEYS = ["image", "build", "command", "entrypoint", "environment", "env_file", "ports",
                "expose", "volumes", "tmpfs", "networks", "network_mode", "depends_on", "links",
                "volumes_from", "healthcheck", "deploy", "mem_limit", "memswap_limit", "shm_size",
                "cpus", "ulimits", "stop_grace_period", "labels", "extra_hosts", "devices",
                "secrets", "configs", "scale", "restart", "user", "sysctls", "logging", "init",
                "profiles", "extends", "container_name", "dns", "develop", "post_start"]
values = st.one_of(scalars, st.lists(scalars, max_size=3),
                   st.dictionaries(st.sampled_from(KEYS + ["a", "b"]), scalars, max_size=3))
services = st.dictionaries(st.sampled_from(["a", "b", "c"]),
                           st.dictionaries(st.sampled_from(SERVICE_KEYS), values, max_size=5),
                           min_size=1, max_size=3)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(services)
def test_any_services_section_gives_project_or_compose_error(svcs):
    _load(yaml.safe_dump({"services": svcs, "volumes": {"a": {}}, "networks": {"a": {}},
                          "secrets": {"a": {"file": "./s"}}}))
