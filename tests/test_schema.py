"""Tests for schemas/compose-spec.json, pycompose's own Compose Specification schema.

The acceptance/rejection expectations below were cross-checked against Docker Compose v2.40.3
(`docker-compose config`): what it accepts the schema accepts, what it rejects for schema
reasons the schema rejects.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from jsonschema.exceptions import best_match

import schemas

SCHEMA_FILE = Path(schemas.__file__).parent / "compose-spec.json"

REALISTIC = """
version: "3.9"
name: shop
include:
  - path: ../shared/compose.yaml
    project_directory: ../shared
    env_file: ../shared/.env
  - other.yaml
x-common: &common
  restart: unless-stopped
  logging:
    driver: json-file
    options: {max-size: 10m, max-file: "3"}
services:
  web:
    <<: *common
    build:
      context: ./web
      dockerfile: Dockerfile.prod
      args: {NODE_ENV: production, BUILD_NO: 1}
      target: runtime
      cache_from: [type=registry,ref=shop/web:cache]
      cache_to: [type=inline]
      additional_contexts: {assets: ./assets}
      ssh: [default]
      secrets: [npm_token]
      labels: [com.example.team=web]
      platforms: [linux/amd64, linux/arm64]
      tags: ["shop/web:${TAG:-latest}"]
      network: host
      shm_size: 256m
      ulimits: {nofile: {soft: 1024, hard: 2048}}
      entitlements: [network.host]
      privileged: false
      pull: true
      no_cache: false
      extra_hosts: ["registry.local=10.0.0.5"]
    image: shop/web:${TAG:-latest}
    ports: ["8080:80", {target: 443, published: "8443", protocol: tcp, mode: host}]
    environment: {DATABASE_URL: "postgres://db/shop", DEBUG: "false", EMPTY: null}
    env_file: [.env, {path: ./web.env, required: false, format: raw}]
    depends_on:
      db: {condition: service_healthy, restart: true}
      cache: {condition: service_started, required: false}
    healthcheck:
      test: ["CMD-SHELL", "curl -fsS http://localhost/health || exit 1"]
      interval: 30s
      timeout: 5s
      retries: 3
      start_period: 1m
      start_interval: 2s
    networks:
      front: {aliases: [shop], priority: 10}
      back:
    volumes:
      - ./web/static:/srv/static:ro
      - type: volume
        source: uploads
        target: /srv/uploads
        volume: {nocopy: true, subpath: web}
      - type: tmpfs
        target: /tmp
        tmpfs: {size: 64m, mode: 1777}
    secrets: [api_key, {source: tls_cert, target: /etc/tls/cert.pem, mode: 0400}]
    configs: [{source: nginx_conf, target: /etc/nginx/nginx.conf}]
    deploy:
      replicas: 2
      resources:
        limits: {cpus: "0.50", memory: 512M, pids: 200}
        reservations:
          memory: 128M
          devices: [{capabilities: [gpu], count: all, driver: nvidia}]
      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 120s}
      update_config: {parallelism: 1, delay: 10s, order: start-first}
      placement: {constraints: ["node.role == worker"]}
    develop:
      watch:
        - {path: ./web/src, action: sync, target: /srv/src, ignore: [node_modules/]}
        - {path: ./web/package.json, action: rebuild}
        - path: ./web/conf
          action: sync+exec
          target: /srv/conf
          exec: {command: [nginx, -s, reload]}
    post_start: [{command: ["/bin/sh", "-c", "echo started"], user: root}]
    pre_stop: [{command: echo stopping}]
    labels: {com.example.role: frontend}
    label_file: ./labels.env
    x-owner: team-web
  db:
    image: postgres:16
    command: ["postgres", "-c", "max_connections=200"]
    healthcheck: {test: ["CMD", "pg_isready"], interval: 5s}
    volumes: [dbdata:/var/lib/postgresql/data]
    shm_size: 128mb
    ulimits: {nproc: 65535}
    sysctls: [net.core.somaxconn=1024]
    stop_grace_period: 1m30s
    stop_signal: SIGINT
    profiles: [data]
    networks: [back]
    blkio_config:
      weight: 300
      device_read_bps: [{path: /dev/sda, rate: 12mb}]
    cap_add: [SYS_NICE]
    security_opt: [no-new-privileges:true]
  cache:
    image: redis:7
    deploy: {resources: {limits: {memory: 256M}}}
    gpus: all
    devices: ["/dev/fuse", {source: /dev/null, target: /dev/nothing, permissions: rwm}]
    extra_hosts: {host.docker.internal: host-gateway}
    models: {llm: {endpoint_var: LLM_URL, model_var: LLM_MODEL}}
    use_api_socket: false
    pull_policy: daily
  infra:
    provider: {type: awesomecloud, options: {type: mysql, size: 256}}
networks:
  front:
    driver: bridge
    driver_opts: {com.docker.network.bridge.name: br-shop}
    ipam:
      driver: default
      config: [{subnet: 172.28.0.0/16, gateway: 172.28.0.1, aux_addresses: {router: 172.28.0.2}}]
  back: {internal: true, enable_ipv6: false}
  outside: {external: true, name: corp-net}
volumes:
  dbdata:
  uploads:
    driver: local
    driver_opts: {type: nfs, o: "addr=10.0.0.1,rw", device: ":/exports/uploads"}
    labels: [com.example.backup=daily]
secrets:
  api_key: {file: ./secrets/api_key.txt}
  tls_cert: {environment: TLS_CERT}
  npm_token: {external: true}
configs:
  nginx_conf: {file: ./nginx.conf}
  motd: {content: "Welcome to $${COMPOSE_PROJECT_NAME}"}
models:
  llm: {model: ai/smollm2, context_size: 4096, runtime_flags: [--verbose]}
x-meta: {owner: platform}
"""


@pytest.fixture(scope="module")
def validator():
    return jsonschema.Draft7Validator(schemas.load("compose-spec.json"))


@pytest.fixture(scope="module")
def realistic():
    return yaml.safe_load(REALISTIC)


def first_error(validator, document):
    """The most relevant error for ``document`` (None when valid)."""
    return best_match(validator.iter_errors(document))


def test_schema_is_valid_draft7_schema():
    raw = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(raw)
    assert raw["$schema"].startswith("http://json-schema.org/draft-07/")


def test_loadable_through_package_api():
    loaded = schemas.load("compose-spec.json")
    assert loaded["title"]
    assert set(loaded["properties"]) >= {
        "version", "name", "include", "services", "networks", "volumes", "secrets", "configs", "models",
    }


def test_accepts_broad_realistic_project(validator, realistic):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(realistic)]
    assert errors == []


@pytest.mark.parametrize(
    "mutate, path",
    [
        (lambda d: d["services"]["web"].__setitem__("imagee", "x"), ["services", "web"]),
        (lambda d: d.__setitem__("servics", {}), []),
        (lambda d: d["services"]["web"]["healthcheck"].__setitem__("intervall", "1s"),
         ["services", "web", "healthcheck"]),
        (lambda d: d["services"]["web"]["deploy"]["resources"]["limits"].__setitem__("gpu", 1),
         ["services", "web", "deploy", "resources", "limits"]),
        (lambda d: d["networks"]["front"]["ipam"]["config"][0].__setitem__("mask", "x"),
         ["networks", "front", "ipam", "config", 0]),
        (lambda d: d["volumes"]["uploads"].__setitem__("size", "1g"), ["volumes", "uploads"]),
        (lambda d: d["secrets"]["api_key"].__setitem__("content", "x"), ["secrets", "api_key"]),
        (lambda d: d["configs"]["nginx_conf"].__setitem__("driver", "x"), ["configs", "nginx_conf"]),
        (lambda d: d["models"]["llm"].__setitem__("size", 1), ["models", "llm"]),
    ],
)
def test_rejects_unknown_keys_at_their_path(validator, realistic, mutate, path):
    document = copy.deepcopy(realistic)
    mutate(document)
    error = first_error(validator, document)
    assert error is not None
    assert list(error.absolute_path) == path


@pytest.mark.parametrize(
    "service, path",
    [
        ({"image": "x", "ports": "80"}, ["ports"]),
        ({"image": "x", "profiles": "debug"}, ["profiles"]),
        ({"image": "x", "privileged": 1}, ["privileged"]),
        ({"image": "x", "healthcheck": {"interval": 10}}, ["healthcheck", "interval"]),
        ({"image": "x", "healthcheck": {"interval": "10x"}}, ["healthcheck", "interval"]),
        ({"image": "x", "depends_on": {"db": {"condition": "bogus"}}}, ["depends_on", "db", "condition"]),
        ({"image": "x", "depends_on": {"db": {"restart": True}}}, ["depends_on", "db"]),
        ({"image": "x", "develop": {"watch": [{"path": "x", "action": "teleport"}]}},
         ["develop", "watch", 0, "action"]),
        ({"image": "x", "develop": {"watch": [{"action": "sync"}]}}, ["develop", "watch", 0]),
        ({"image": "x", "deploy": {"update_config": {"order": "sideways"}}},
         ["deploy", "update_config", "order"]),
        ({"image": "x", "volumes": [{"type": "weird", "target": "/d"}]}, ["volumes", 0, "type"]),
        ({"image": "x", "cgroup": "foo"}, ["cgroup"]),
        ({"image": "x", "gpus": "some"}, ["gpus"]),
        ({"image": "x", "oom_score_adj": 5000}, ["oom_score_adj"]),
        ({"image": "x", "post_start": [{"user": "root"}]}, ["post_start", 0]),
        ({"image": "x", "security_opt": ["a", "a"]}, ["security_opt"]),
        ({"image": "x", "container_name": "x"}, ["container_name"]),
        ({"image": "x", "pull_policy": "sometimes"}, ["pull_policy"]),
        ({"image": "x", "ulimits": {"nofile": {"soft": 1}}}, ["ulimits", "nofile"]),
    ],
)
def test_rejects_wrong_types_at_their_path(validator, service, path):
    error = first_error(validator, {"services": {"a": service}})
    assert error is not None, service
    assert list(error.absolute_path)[: len(path) + 2] == ["services", "a", *path]


@pytest.mark.parametrize(
    "service",
    [
        {"image": "x", "ports": ["80", "80"]},
        {"image": "x", "cap_add": ["A", "A"]},
        {"image": "x", "environment": ["A=1", "A=1"]},
        {"image": "x", "mem_limit": 1.5},
        {"image": "x", "ulimits": {"NOFILE": 1}},
        {"image": "x", "privileged": "${PRIV:-false}"},
        {"image": "x", "deploy": {"replicas": "${REPLICAS}"}},
        {"image": "x", "healthcheck": {"timeout": "${T:-5s}", "retries": "3"}},
        {"image": "x", "command": None},
        {"image": "x", "deploy": None},
        {"image": "x", "pull_policy": "every_12h"},
        {"image": "x", "extends": "base"},
        {"image": "x", "x-anything": {"goes": ["here"]}},
    ],
)
def test_accepts_what_docker_compose_accepts(validator, service):
    assert first_error(validator, {"services": {"a": service}}) is None


def test_extensions_allowed_at_top_level_and_in_objects(validator):
    document = {
        "x-top": 1,
        "services": {"a": {"image": "x", "x-svc": 1, "build": {"context": ".", "x-b": 1}}},
        "networks": {"n": {"x-net": 1}},
        "volumes": {"v": {"x-vol": True}},
    }
    assert first_error(validator, document) is None


# --- cross-check against the conformance cases recorded from Docker Compose -----------------

CASES_DIR = Path(__file__).parent / "conformance" / "cases"


class _TagLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader that reads !reset / !override as plain values."""


def _plain(loader, _suffix, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node) or None


_TagLoader.add_multi_constructor("!", _plain)


def _stringify_keys(value):
    """go-yaml keeps `on:`/`yes:` keys as strings; PyYAML makes them booleans."""
    if isinstance(value, dict):
        return {(str(k).lower() if isinstance(k, bool) else k): _stringify_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_keys(v) for v in value]
    return value


def _case_documents(expect: str):
    for case_dir in sorted(CASES_DIR.iterdir()):
        meta = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))
        if meta.get("expect", "ok") != expect:
            continue
        stderr = (case_dir / "expected.err.txt").read_text() if expect == "error" else ""
        for path in sorted(case_dir.rglob("*.y*ml")):
            try:
                documents = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_TagLoader))
            except yaml.YAMLError:
                continue
            for document in documents:
                if isinstance(document, dict) and all(isinstance(k, str) for k in document):
                    yield case_dir.name, path, _stringify_keys(document), stderr


def test_accepts_every_project_docker_compose_accepted(validator):
    rejected = []
    for name, path, document, _ in _case_documents("ok"):
        error = first_error(validator, document)
        if error is not None:
            rejected.append(f"{name}/{path.name}: {list(error.absolute_path)}: {error.message[:120]}")
    assert rejected == []


def test_rejects_what_docker_compose_rejected_for_schema_reasons(validator):
    accepted = []
    checked = 0
    for name, path, document, stderr in _case_documents("error"):
        if not stderr.startswith("validating") or f"/{path.name}:" not in stderr:
            continue
        if any(isinstance(s, dict) and "extends" in s for s in (document.get("services") or {}).values()):
            continue  # Docker validates after resolving extends: the loader's job, not one file's
        checked += 1
        if first_error(validator, document) is None:
            accepted.append(f"{name}/{path.name}: docker said {stderr.strip()}")
    assert checked >= 5
    assert accepted == []


# --- single-attribute probes with Docker Compose's recorded verdicts -----------------------

PROBES_FILE = Path(__file__).parent / "conformance" / "schema_probes.json"


def _probe_errors(validator, wanted: str):
    """Probes whose Docker verdict is ``wanted``, paired with our first schema error."""
    probes = json.loads(PROBES_FILE.read_text(encoding="utf-8"))
    for probe in probes:
        if probe["docker"] == wanted:
            document = _stringify_keys(yaml.load(probe["yaml"], Loader=_TagLoader))
            yield probe, first_error(validator, document)


def test_probes_docker_accepts_are_accepted(validator):
    rejected = [f"{p['yaml']!r}: {e.message[:100]}" for p, e in _probe_errors(validator, "accept") if e]
    assert rejected == []


def test_probes_docker_schema_rejects_are_rejected(validator):
    results = list(_probe_errors(validator, "schema-reject"))
    assert len(results) >= 50
    accepted = [f"{p['yaml']!r}: docker said {p['message']}" for p, e in results if e is None]
    assert accepted == []
