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


def _all_documents():
    """Every compose document the suite knows: DOCS, the schema probes, the conformance cases."""
    import json
    from pathlib import Path
    from compose.loader.yamlread import read_yaml, strip_tags
    from compose.errors import ConfigError
    here = Path(__file__).resolve().parents[1] / "conformance"
    texts = [p["yaml"] for p in json.loads((here / "schema_probes.json").read_text())]
    texts += [p.read_text() for p in sorted((here / "cases").glob("*/*.y*ml"))]
    docs = list(DOCS)
    for text in texts:
        try:
            doc = read_yaml(text, "probe.yaml")
        except ConfigError:
            continue
        docs += [strip_tags(d) for d in [doc.data, *doc.more]]
    return docs


def test_compiled_check_agrees_with_minischema():
    """schemafast's yes/no verdict is minischema's (valid iff no error) on every known document."""
    from compose.loader.schemafast import compile_schema
    quick = compile_schema(SCHEMA)
    slow = minischema.Validator(SCHEMA)
    docs = _all_documents()
    assert len(docs) > 400
    verdicts = {True: 0, False: 0}
    for doc in docs:
        expected = next(iter(slow.iter_errors(doc)), None) is None
        assert quick(doc) == expected, doc
        verdicts[expected] += 1
    assert verdicts[True] > 100 and verdicts[False] > 100, verdicts
