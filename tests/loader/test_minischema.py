"""The built-in draft-07 subset validator agrees with jsonschema on the compose schema."""
import jsonschema
import pytest

import schemas
from compose.loader import minischema

SCHEMA = schemas.load("compose-spec.json")
DOCS = [
    {"services": {"a": {"image": "x", "ports": ["80:80", {"target": 1}], "scale": 2}}},
    {"services": {"a": {"imagee": "x"}}},
    {"services": {"a": {"ports": {"a": 1}, "restart": 5, "depends_on": [1]}}},
    {"services": {"a": {"healthcheck": {"test": 5}, "deploy": {"replicas": "x"}}}},
    {"servics": {}, "x-ok": 1},
    {"networks": {"n": {"ipam": {"config": [{"subnet": 1}]}}}, "volumes": {"v": []}},
    {"services": {"a": {"build": {"context": ".", "args": ["A=1"]}, "x-e": {}}}},
]


def test_schema_is_supported():
    assert minischema.supports(SCHEMA)
    assert not minischema.supports({"type": "object", "dependentRequired": {}})


@pytest.mark.parametrize("doc", DOCS)
def test_same_verdict_and_paths_as_jsonschema(doc):
    ours = sorted(tuple(map(str, e.absolute_path)) for e in minischema.Validator(SCHEMA).iter_errors(doc))
    ref = jsonschema.Draft7Validator(SCHEMA)
    theirs = sorted(tuple(map(str, e.absolute_path)) for e in ref.iter_errors(doc))
    assert ours == theirs
