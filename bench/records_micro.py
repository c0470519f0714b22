"""Per-instance cost of engine.records.record vs dataclasses.dataclass (frozen), and class-creation cost.

Run: python bench/records_micro.py   (prints ns per operation and the ratio record/dataclass)
"""
from __future__ import annotations

import dataclasses
import time
import timeit
from typing import Optional

from engine.records import field, record


def _define(decorate, fld):
    @decorate(frozen=True)
    class Port:
        target: int
        published: Optional[str] = None
        host_ip: Optional[str] = None
        protocol: str = "tcp"
        mode: str = "ingress"
        name: Optional[str] = None
        app_protocol: Optional[str] = None

    @decorate(frozen=True)
    class Big:
        name: str
        image: Optional[str] = None
        a: tuple = ()
        b: tuple = ()
        c: Optional[int] = None
        d: Optional[str] = None
        e: dict = fld(default_factory=dict)
        f: dict = fld(default_factory=dict)
        g: dict = fld(default_factory=dict)
        h: bool = False
        i: bool = False
        j: Optional[float] = None
        k: str = ""
        m: tuple = ()
        n: dict = fld(default_factory=dict)
    return Port, Big


def _time(stmt, env, number=100_000):
    return min(timeit.repeat(stmt, globals=env, number=number, repeat=7, timer=time.process_time)) / number * 1e9


CASES = {
    "Port(kw 4)": "Port(target=80, published='8080', host_ip='0.0.0.0', protocol='udp')",
    "Port(pos 1)": "Port(80)",
    "Big(kw 6)": "Big(name='x', image='y', a=(1,), c=3, e={'a': 1}, k='z')",
    "Big(name)": "Big('x')",
    "eq Port": "p1 == p2",
    "hash Port": "hash(p1)",
    "eq Big": "b1 == b2",
    "repr Port": "repr(p1)",
}


def _twin(cls):
    """A real frozen dataclass with the record class's annotations and defaults."""
    from engine import records
    namespace = {"__annotations__": dict(cls.__annotations__), "__module__": cls.__module__}
    for spec in cls.__record_fields__:
        namespace[spec.name] = dataclasses.field(
            default=dataclasses.MISSING if spec.default is records.MISSING else spec.default,
            default_factory=(dataclasses.MISSING if spec.default_factory is records.MISSING
                             else spec.default_factory), compare=spec.compare)
    return dataclasses.dataclass(frozen=True)(type(cls.__name__, (), namespace))


def _model_cases() -> None:
    from compose.model import Service
    from engine.types import ContainerSpec
    stmts = {"Service(3 kw)": "Service(name='web', image='busybox', command=('sh',))",
             "ContainerSpec": "ContainerSpec(image='busybox', name='x', env={'A': '1'})",
             "Service ==": "s1 == s2"}
    for label, stmt in stmts.items():
        times = []
        for svc, spec in ((_twin(Service), _twin(ContainerSpec)), (Service, ContainerSpec)):
            env = {"Service": svc, "ContainerSpec": spec, "s1": svc(name="a", image="b"),
                   "s2": svc(name="a", image="b")}
            times.append(_time(stmt, env, 20_000))
        print(f"{label:14} {times[0]:12.0f} {times[1]:10.0f} {times[1] / times[0]:6.2f}")


def main() -> None:
    print(f"{'operation':14} {'dataclass ns':>12} {'record ns':>10} {'ratio':>6}")
    envs = []
    for decorate, fld in ((dataclasses.dataclass, dataclasses.field), (record, field)):
        Port, Big = _define(decorate, fld)
        envs.append({"Port": Port, "Big": Big, "p1": Port(80, "8080"), "p2": Port(80, "8080"),
                     "b1": Big("x"), "b2": Big("x")})
    for label, stmt in CASES.items():
        base, ours = (_time(stmt, env) for env in envs)
        print(f"{label:14} {base:12.0f} {ours:10.0f} {ours / base:6.2f}")
    _model_cases()
    for decorate, fld in ((dataclasses.dataclass, dataclasses.field), (record, field)):
        per_class = min(timeit.repeat(lambda: _define(decorate, fld), number=20, repeat=5)) / 40
        print(f"class creation ({decorate.__module__}.{decorate.__name__}): "
              f"{per_class * 1e6:.0f} us per class")
    print("no Docker counterpart: a micro-benchmark of the data model (ratio = record / dataclass)")


if __name__ == "__main__":
    main()
