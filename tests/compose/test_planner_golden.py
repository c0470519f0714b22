"""Golden tests of the pure planner: Plan.render() compared as text, on a fake engine."""
from __future__ import annotations

import textwrap

import pytest

from compose.errors import ComposeError
from compose.observe import observe
from compose.project_ops.up import converge
from compose.reconcile import DownOptions, UpOptions, plan_down, plan_up
from tests.fixtures.compose_project import make_project

BASE = {
    "db": {"image": "busybox", "healthcheck": {"test": ["CMD", "true"]}},
    "web": {"image": "busybox", "depends_on": {"db": {"condition": "service_healthy"}},
            "volumes": [{"type": "volume", "source": "data", "target": "/data"}]},
    "worker": {"image": "busybox", "depends_on": {"web": {"condition": "service_started"}}},
}


def project(services=None, **kw):
    return make_project("demo", services or BASE, volumes=kw.pop("volumes", {"data": {}}), **kw)


def golden(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def eng(fake_engine):
    fake_engine.behave("db", health="healthy")
    return fake_engine


def up_plan(eng, proj, **opts):
    return plan_up(proj, observe(eng, proj), UpOptions(**opts)).render()


def test_fresh_up(eng):
    assert up_plan(eng, project()) == golden("""
        network   demo_default                 create     not found
        volume    demo_data                    create     not found
        container demo-db-1                    create     not found
        container demo-db-1                    start      created                after demo-db-1:create
        container demo-web-1                   create     not found              after demo-db-1:create
        service   db                           wait       service_healthy for web after demo-db-1:start
        container demo-worker-1                create     not found              after demo-web-1:create
        container demo-web-1                   start      created                after db:healthy, demo-web-1:create
        service   web                          wait       service_started for worker after demo-web-1:start
        container demo-worker-1                start      created                after demo-worker-1:create, web:started
        """)


def test_nothing_to_do(eng):
    proj = project()
    converge(eng, proj, UpOptions())
    assert up_plan(eng, proj) == golden("""
        service   db                           wait       service_healthy for web
        """)
    assert plan_up(proj, observe(eng, proj), UpOptions()).render(verbose=True) == golden("""
        container demo-db-1                    keep       up to date
        service   db                           wait       service_healthy for web
        container demo-web-1                   keep       up to date
        container demo-worker-1                keep       up to date
        """)


def test_config_change_recreates_with_cause(eng):
    converge(eng, project(), UpOptions())
    changed = dict(BASE, worker=dict(BASE["worker"], environment={"MODE": "fast"}))
    assert up_plan(eng, project(changed)) == golden("""
        service   db                           wait       service_healthy for web
        container demo-worker-1                recreate   config hash diverged
        service   web                          wait       service_started for worker after db:healthy
        container demo-worker-1                start      recreated              after demo-worker-1:recreate, web:started
        """)


def test_image_change_recreates(eng):
    proj = project()
    converge(eng, proj, UpOptions())
    eng.images.add("busybox:latest")            # same tag, new image id (a pull or a rebuild)
    assert up_plan(eng, proj) == golden("""
        container demo-db-1                    recreate   image changed
        container demo-db-1                    start      recreated              after demo-db-1:recreate
        container demo-web-1                   recreate   image changed          after demo-db-1:recreate
        service   db                           wait       service_healthy for web after demo-db-1:start
        container demo-worker-1                recreate   image changed          after demo-web-1:recreate
        container demo-web-1                   start      recreated              after db:healthy, demo-web-1:recreate
        service   web                          wait       service_started for worker after demo-web-1:start
        container demo-worker-1                start      recreated              after demo-worker-1:recreate, web:started
        """)


def test_scale_up_and_down(eng):
    proj = project()
    converge(eng, proj, UpOptions(scale={"worker": 3}))
    assert len(observe(eng, proj).service_containers("worker")) == 3
    assert up_plan(eng, proj, scale={"worker": 1}) == golden("""
        service   db                           wait       service_healthy for web
        container demo-worker-3                stop       scale down
        container demo-worker-2                stop       scale down
        container demo-worker-3                remove     scale down             after demo-worker-3:stop
        container demo-worker-2                remove     scale down             after demo-worker-2:stop
        """)
    assert up_plan(eng, proj, scale={"worker": 4}) == golden("""
        service   db                           wait       service_healthy for web
        container demo-worker-4                create     scale up
        service   web                          wait       service_started for worker after db:healthy
        container demo-worker-4                start      created                after demo-worker-4:create, web:started
        """)


def test_scale_down_removes_obsolete_first(eng):
    proj = project()
    converge(eng, proj, UpOptions(scale={"worker": 2}))
    obs = observe(eng, proj)
    # make worker-1 obsolete (hash diverged) by editing the label through a recreate elsewhere
    changed = dict(BASE, worker=dict(BASE["worker"], environment={"X": "1"}))
    converge(eng, project(changed), UpOptions(services=("worker",), no_deps=True, scale={"worker": 1}))
    names = [c.name for c in observe(eng, proj).service_containers("worker")]
    assert names == ["demo-worker-1"] and obs


def test_orphans_warned_then_removed(eng):
    converge(eng, project(), UpOptions())
    smaller = {k: v for k, v in BASE.items() if k != "worker"}
    assert up_plan(eng, project(smaller)) == golden("""
        service   db                           wait       service_healthy for web
        warning: Found orphan containers (demo-worker-1) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.
        """)
    assert up_plan(eng, project(smaller), ignore_orphans=True) == golden("""
        service   db                           wait       service_healthy for web
        """)
    assert up_plan(eng, project(smaller), remove_orphans=True) == golden("""
        service   db                           wait       service_healthy for web
        container demo-worker-1                stop       orphan
        container demo-worker-1                remove     orphan                 after demo-worker-1:stop
        """)


def test_no_recreate_and_force_recreate(eng):
    converge(eng, project(), UpOptions())
    changed = dict(BASE, worker=dict(BASE["worker"], environment={"MODE": "fast"}))
    assert up_plan(eng, project(changed), recreate="never") == golden("""
        service   db                           wait       service_healthy for web
        """)
    assert up_plan(eng, project(), services=("worker",), no_deps=True, recreate="force") == golden("""
        container demo-worker-1                recreate   forced
        container demo-worker-1                start      recreated              after demo-worker-1:recreate
        """)


def test_always_recreate_deps(eng):
    converge(eng, project(), UpOptions())
    text = up_plan(eng, project(), services=("web",), recreate="force", recreate_deps="force")
    assert "demo-db-1                    recreate   forced" in text
    assert "demo-web-1                   recreate   forced" in text
    assert "worker" not in text


def test_no_deps_plans_only_the_target(eng):
    assert up_plan(eng, project(), services=("worker",), no_deps=True) == golden("""
        network   demo_default                 create     not found
        container demo-worker-1                create     not found
        container demo-worker-1                start      created                after demo-worker-1:create
        """)


def test_stopped_container_is_started(eng):
    proj = project()
    converge(eng, proj, UpOptions())
    eng.containers.stop("demo-worker-1")
    assert up_plan(eng, proj) == golden("""
        service   db                           wait       service_healthy for web
        service   web                          wait       service_started for worker after db:healthy
        container demo-worker-1                start      container exited       after web:started
        """)


def test_restart_true_dependents_are_stopped_and_started(eng):
    services = dict(BASE, worker={"image": "busybox",
                                  "depends_on": {"db": {"condition": "service_started", "restart": True}}})
    converge(eng, project(services), UpOptions())
    changed = dict(services, db=dict(BASE["db"], environment={"V": "2"}))
    assert up_plan(eng, project(changed)) == golden("""
        container demo-worker-1                stop       dependency db recreated
        container demo-db-1                    recreate   config hash diverged   after demo-worker-1:stop
        container demo-db-1                    start      recreated              after demo-db-1:recreate
        service   db                           wait       service_healthy for web after demo-db-1:start
        service   db                           wait       service_started for worker after demo-db-1:start
        container demo-worker-1                start      dependency db restarted after db:started, demo-worker-1:stop
        """)


def test_external_network_missing_is_an_error(eng):
    services = {"web": {"image": "busybox", "networks": {"outside": None}}}
    proj = make_project("demo", services, networks={"outside": {"external": True, "name": "shared"}})
    with pytest.raises(ComposeError, match="network shared declared as external, but could not be found"):
        up_plan(eng, proj)


def test_down_plan_reverse_order(eng):
    proj = project()
    converge(eng, proj, UpOptions())
    text = plan_down(proj, observe(eng, proj), DownOptions(volumes=True)).render()
    assert text == golden("""
        container demo-worker-1                stop
        container demo-worker-1                remove                            after demo-worker-1:stop
        container demo-web-1                   stop                              after demo-worker-1:stop
        container demo-web-1                   remove                            after demo-web-1:stop
        container demo-db-1                    stop                              after demo-web-1:stop
        container demo-db-1                    remove                            after demo-db-1:stop
        network   demo_default                 remove                            after demo-db-1:remove, demo-web-1:remove, demo-worker-1:remove
        volume    demo_data                    remove                            after demo-db-1:remove, demo-web-1:remove, demo-worker-1:remove
        """)


def test_down_without_project_uses_labels(eng):
    proj = project()
    converge(eng, proj, UpOptions())
    plan = plan_down(None, observe(eng, None, name="demo"), DownOptions())
    order = [op.name for op in plan.ordered() if op.action == "stop"]
    assert order == ["demo-worker-1", "demo-web-1", "demo-db-1"]
    assert "network   demo_default" in plan.render()


def test_one_wait_per_dependent(eng):
    """Docker Compose waits for a dependency once per dependent service, in its start phase,
    also when the dependent is already running (a no-op `up -d` prints Waiting/Healthy)."""
    services = {
        "db": BASE["db"],
        "web": {"image": "busybox", "depends_on": {"db": {"condition": "service_healthy"}}},
        "worker": {"image": "busybox", "depends_on": {"db": {"condition": "service_healthy"},
                                                      "web": {"condition": "service_started"}}},
    }
    proj = make_project("demo", services)
    text = up_plan(eng, proj)
    assert text.count("wait") == 3
    assert "service   db                           wait       service_healthy for web after demo-db-1:start" in text
    assert "service   db                           wait       service_healthy for worker after demo-db-1:start, demo-web-1:start" in text
    converge(eng, proj, UpOptions())
    assert up_plan(eng, proj) == golden("""
        service   db                           wait       service_healthy for web
        service   db                           wait       service_healthy for worker after db:healthy
        """)
    assert up_plan(eng, proj, services=("db",)) == ""
    assert up_plan(eng, proj, services=("web",), no_deps=True) == ""


def test_required_false_dependency_failure_is_a_warning(eng):
    from compose.executor import Executor
    eng.behave("db", health="unhealthy")
    services = {"db": BASE["db"],
                "web": {"image": "busybox",
                        "depends_on": {"db": {"condition": "service_healthy", "required": False}}}}
    proj = make_project("demo", services)
    ex = Executor(eng, proj, poll_interval=0.01)
    ex.run(plan_up(proj, observe(eng, proj), UpOptions()))
    assert ex.warnings == ["dependency failed to start: container demo-db-1 is unhealthy"]
    assert eng.containers.inspect("demo-web-1").state.running


def test_parallel_limit_bounds_concurrency(eng):
    import threading
    import time as _time
    from compose.executor import Executor
    services = {f"s{i}": {"image": "busybox"} for i in range(6)}
    proj = make_project("demo", services)
    active, peak, lock = [0], [0], threading.Lock()
    real_create = eng.containers.create

    def slow_create(spec):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        _time.sleep(0.05)
        try:
            return real_create(spec)
        finally:
            with lock:
                active[0] -= 1
    eng.containers.create = slow_create
    Executor(eng, proj, parallel=2).run(plan_up(proj, observe(eng, proj), UpOptions()))
    assert peak[0] == 2


def test_crash_leftover_temporary_name_is_recreated(eng):
    proj = project()
    converge(eng, proj, UpOptions())
    eng.containers.rename("demo-worker-1", "0123456789ab_demo-worker-1")   # died mid-recreate
    assert "container demo-worker-1                recreate   container name mismatch" in up_plan(eng, proj)
    converge(eng, proj, UpOptions())
    assert sorted(c.info.name for c in eng.containers.by_id.values()) == [
        "demo-db-1", "demo-web-1", "demo-worker-1"]


def test_namespace_sharing_dependent_is_recreated_with_its_parent(eng):
    services = {"web": {"image": "busybox"},
                "sidecar": {"image": "busybox", "network_mode": "service:web"}}
    converge(eng, make_project("demo", services), UpOptions())
    changed = dict(services, web={"image": "busybox", "environment": {"V": "2"}})
    assert up_plan(eng, make_project("demo", changed)) == golden("""
        container demo-web-1                   recreate   config hash diverged
        container demo-web-1                   start      recreated              after demo-web-1:recreate
        container demo-sidecar-1               recreate   dependency web recreated after demo-web-1:recreate
        service   web                          wait       service_started for sidecar after demo-web-1:start
        container demo-sidecar-1               start      recreated              after demo-sidecar-1:recreate, web:started
        """)


def test_reserved_label_prefix_is_rejected(eng):
    proj = make_project("demo", {"web": {"image": "busybox",
                                         "labels": {"com.docker.compose.project": "other"}}})
    with pytest.raises(ComposeError, match='label "com.docker.compose.project" is reserved'):
        up_plan(eng, proj)
