"""Build the images of a project's services (``pycompose build``, ``up --build``).

    build_services(project, engine, services, options=None, on_event=None) -> dict[str, ImageInfo]

services   names to build; those without a ``build`` section are skipped (``--with-dependencies``
           adds the services they depend on first, see BuildOptions)
options    BuildOptions (None = defaults): no_cache, pull, quiet, build_args (CLI
           ``--build-arg``, override the file's args), with_dependencies, ssh
on_event   receives engine ``build-step`` events (the builder's progress) and
           ``Event("service", name, "Building" | "Built")``

Image names follow Docker Compose: ``image:`` when set, else ``<project>-<service>``; every
``build.tags`` entry is tagged too. Built images carry the labels com.docker.compose.project,
.service and .version plus ``build.labels``. Services whose ``additional_contexts`` name
``service:X`` are built after X (X's image becomes that named context); other services build
in parallel (``project``'s parallel limit is not needed: builds share two cores anyway, so at
most two run at once). ``cache_from`` images and ``ssh`` agents are passed to the
builder (engine/build/cachefrom.py, sshagent.py); what pycompose cannot do offline or at
all (BuildKit cache backends, foreign platforms) is a clear error or a warning event.
"""
from __future__ import annotations

import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Optional

from compose import labels as L
from compose import naming
from compose.errors import ConfigError, OperationFailed, UsageError
from engine.errors import EngineError
from engine.events import Event
from engine.build.sshagent import ssh_map
from engine.types import BuildSpec

MAX_PARALLEL_BUILDS = 2


@dataclass
class BuildOptions:
    no_cache: bool = False
    pull: bool = False
    quiet: bool = False
    build_args: dict = field(default_factory=dict)   # CLI --build-arg (value None = from env)
    with_dependencies: bool = False
    ssh: tuple = ()


def image_name(project, service) -> str:
    return service.image or naming.built_image_name(project.name, service.name)


def _service_deps(project, service) -> list[str]:
    out = []
    for value in (service.build.additional_contexts or {}).values():
        if isinstance(value, str) and value.startswith("service:"):
            other = value[len("service:"):]
            if other not in project.services or project.services[other].build is None:
                raise ConfigError(f"service {service.name!r}: additional_contexts refers to "
                                  f"{value!r}, which is not a service with a build section")
            out.append(other)
    return out


def _order(project, names: list[str], options: BuildOptions) -> list[str]:
    wanted = [n for n in names if project.services[n].build is not None]
    if options.with_dependencies:
        seen: list[str] = []

        def deps_first(n: str) -> None:           # depends_on, transitively
            if n in seen:
                return
            seen.append(n)
            for d in project.services[n].depends_on:
                if d in project.services:
                    deps_first(d)
            wanted.append(n)

        wanted = []
        for n in names:
            deps_first(n)
        wanted = [n for n in dict.fromkeys(wanted) if project.services[n].build is not None]
    closure: list[str] = []

    def visit(n: str, trail: list[str]) -> None:
        if n in trail:
            from compose.errors import DependencyCycle
            raise DependencyCycle(trail + [n], "build dependency cycle (additional_contexts)")
        if n in closure:
            return
        for d in _service_deps(project, project.services[n]):
            visit(d, trail + [n])
        closure.append(n)

    for n in wanted:
        visit(n, [])
    return closure


def _secrets(project, service, tmpdir: str) -> dict:
    out = {}
    for ref in service.build.secrets:
        secret = project.secrets.get(ref.source) if hasattr(project, "secrets") else None
        if secret is None:
            raise ConfigError(f"service {service.name!r}: build secret {ref.source!r} is not defined")
        if secret.file:
            path = secret.file
        else:
            env = getattr(project, "environment", None) or os.environ
            value = secret.content if secret.content is not None else \
                env.get(secret.environment or "", "")
            path = os.path.join(tmpdir, f"secret-{ref.source}")
            with open(path, "w") as f:
                f.write(value)
        out[ref.target or ref.source] = path
        out.setdefault(ref.source, path)
    return out


def _spec(project, service, options: BuildOptions, built: dict, tmpdir: str, warn) -> BuildSpec:
    b = service.build
    if b.network and b.network not in ("default", "host", "none"):
        raise UsageError(f"service {service.name!r}: build network {b.network!r} is not supported "
                         "(use default, host or none)")
    for entry in b.cache_to:
        if str(entry).replace(" ", "") not in ("type=inline",):
            warn(f"service {service.name}: cache_to {entry!r} ignored: pycompose keeps its build "
                 "cache in the image itself (name the image in cache_from to reuse it)")
    env = getattr(project, "environment", None) or os.environ
    args = {k: v for k, v in (b.args or {}).items()}
    args.update(options.build_args)
    for k, v in list(args.items()):
        if v is None:                       # "args: [NAME]" / "--build-arg NAME": from the env
            if k in env:
                args[k] = env[k]
            else:
                del args[k]
    contexts = {}
    for name, value in (b.additional_contexts or {}).items():
        if isinstance(value, str) and value.startswith("service:"):
            contexts[name] = "docker-image://" + built[value[len("service:"):]].id
        else:
            contexts[name] = value
    name = image_name(project, service)
    lbls = {L.PROJECT: project.name, L.SERVICE: service.name, L.VERSION: L.COMPOSE_VERSION}
    lbls.update(b.labels or {})
    extra_hosts = tuple(f"{h}:{ip}" for h, ips in (b.extra_hosts or {}).items()
                        for ip in (ips if isinstance(ips, (list, tuple)) else [ips]))
    return BuildSpec(
        context=b.context, dockerfile=b.dockerfile or "", dockerfile_inline=b.dockerfile_inline,
        tags=(name,) + tuple(t for t in b.tags if t != name), build_args=args,
        target=b.target or "", labels=lbls, no_cache=options.no_cache or b.no_cache,
        pull=options.pull or b.pull, network=b.network or "", extra_hosts=extra_hosts,
        shm_size=b.shm_size, additional_contexts=contexts, cache_from=tuple(b.cache_from),
        platform=(service.platform or ""), secrets=_secrets(project, service, tmpdir),
        ssh=ssh_map(options.ssh or b.raw.get("ssh") or b.ssh))



def build_services(project, engine, services, options: Optional[BuildOptions] = None,
                   on_event=None) -> dict:
    """Build ``services`` of ``project`` (see module docstring); returns name -> ImageInfo."""
    options = options or BuildOptions()
    emit = on_event or (lambda ev: None)
    order = _order(project, list(services), options)
    built: dict = {}
    done = {n: threading.Event() for n in order}
    failures: list = []
    sem = threading.Semaphore(MAX_PARALLEL_BUILDS)

    def warn(text: str) -> None:
        emit(Event("build-step", "#0", "WARN", text))

    def one(name: str) -> None:
        try:
            svc = project.services[name]
            for dep in _service_deps(project, svc):
                done[dep].wait()
                if dep not in built:
                    raise OperationFailed(f"service {name!r}: {dep} failed to build")
            with sem, tempfile.TemporaryDirectory(prefix="pycompose-build-") as tmp:
                spec = _spec(project, svc, options, built, tmp, warn)
                emit(Event("service", name, "Building"))
                built[name] = engine.builder.build(spec, emit)
                emit(Event("service", name, "Built"))
        except BaseException as e:          # noqa: BLE001 - re-raised below
            failures.append((name, e))
        finally:
            done[name].set()

    if not order:
        return {}
    with ThreadPoolExecutor(max_workers=len(order), thread_name_prefix="build") as pool:
        list(pool.map(one, order))
    if failures:
        name, err = failures[0]
        if isinstance(err, EngineError):
            raise OperationFailed(f"failed to build service {name!r}: {err}") from err
        raise err
    return built
