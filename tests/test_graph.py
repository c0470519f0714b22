"""compose.graph: start/stop order, parallel levels, closure, implicit edges, cycles."""
import pytest

from compose.errors import DependencyCycle
from compose.graph import ServiceGraph, find_cycle
from compose.model import Service


def svc(name, **kw):
    return Service.from_dict(name, {"image": "x", **kw})


@pytest.fixture
def graph():
    return ServiceGraph({
        "web": svc("web", depends_on={"api": {"condition": "service_healthy"}}),
        "api": svc("api", links=["db:database"], volumes_from=["data"]),
        "db": svc("db"),
        "data": svc("data"),
        "sidecar": svc("sidecar", network_mode="service:api"),
        "lonely": svc("lonely"),
    })


def test_levels_and_orders(graph):
    assert graph.start_levels() == [["data", "db", "lonely"], ["api"], ["sidecar", "web"]]
    assert graph.stop_order() == ["sidecar", "web", "api", "data", "db", "lonely"]


def test_closure_and_dependents(graph):
    assert graph.closure(["web"]) == ["data", "db", "api", "web"]
    assert graph.dependents_closure(["db"]) == ["db", "api", "sidecar", "web"]
    assert graph.dependencies("api") == ["data", "db"] and graph.dependents("api") == ["sidecar", "web"]


def test_implicit_edges_carry_restart(graph):
    assert graph.edge("api", "db").restart is True and graph.edge("api", "db").implicit
    assert graph.edge("api", "data").restart is False
    assert graph.edge("sidecar", "api").restart is True
    assert graph.edge("web", "api").condition == "service_healthy"


def test_cycle_is_reported_with_trail():
    with pytest.raises(DependencyCycle) as err:
        ServiceGraph({"a": svc("a", depends_on={"b": {}}), "b": svc("b", depends_on={"c": {}}),
                      "c": svc("c", links=["a"])})
    assert str(err.value) == "dependency cycle detected: a -> b -> c -> a"
    assert err.value.trail == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a": {}}}) == ["a", "a"]


def test_edges_to_unknown_services_are_ignored():
    g = ServiceGraph({"a": svc("a", depends_on={"gone": {"required": False}})})
    assert g.start_order() == ["a"]
