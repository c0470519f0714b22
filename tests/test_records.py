"""engine.records.record against real dataclasses.

Parity: every record class of compose.model and engine.types is compared with a real
``@dataclass(frozen=True)`` built from the same annotations and defaults (fields, construction,
errors, equality, hash, repr, replace, asdict/astuple, frozen-ness, pickle, signature).
Then the features the data model does not use yet (compare=/hash=/repr= flags, kw_only,
__post_init__, inheritance, fallbacks, non-frozen records).
"""
from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import typing
from typing import ClassVar, Optional

import pytest

import importlib

from engine import records
from engine.records import field, record

MODULES = tuple(importlib.import_module(name) for name in (
    "compose.model", "engine.types", "engine.events", "compose.errors", "compose.loader.options",
    "compose.loader.discovery", "compose.loader.interpolate", "compose.loader.yamlread",
    "compose.loader.minischema", "compose.convert", "compose.reconcile", "compose.plan",
    "compose.observe", "compose.project_ops.common", "compose.project_ops.run", "engine.layout",
    "engine.reference", "engine.images.store", "engine.images.manifest"))
compose, engine = importlib.import_module("compose"), importlib.import_module("engine")


def _record_classes():
    out = []
    for module in MODULES:
        for value in vars(module).values():
            if isinstance(value, type) and "__record_fields__" in value.__dict__ \
                    and value.__module__ == module.__name__:
                out.append(value)
    return out


RECORD_CLASSES = _record_classes()
_TWINS: dict = {}


def _twin(cls):
    """A real dataclass (frozen like cls) with cls's own annotations and defaults, over twin bases."""
    if cls in _TWINS:
        return _TWINS[cls]
    bases = tuple(_twin(b) if "__record_fields__" in b.__dict__ else b for b in cls.__bases__)
    namespace = {"__annotations__": dict(cls.__dict__.get("__annotations__", {})),
                 "__module__": cls.__module__, "__qualname__": cls.__qualname__}
    for spec in cls.__dict__["__record_fields__"]:
        if spec.name not in namespace["__annotations__"]:
            continue                     # inherited: the twin base has it
        namespace[spec.name] = dataclasses.field(
            default=dataclasses.MISSING if spec.default is records.MISSING else spec.default,
            default_factory=(dataclasses.MISSING if spec.default_factory is records.MISSING
                             else spec.default_factory),
            init=spec.init, repr=spec.repr, hash=spec.hash, compare=spec.compare)
    frozen = cls.__dict__["__record_params__"]["frozen"]
    twin = dataclasses.dataclass(frozen=frozen)(type(cls.__name__, bases, namespace))
    _TWINS[cls] = twin
    return twin


def _field_view(cls):
    return [(f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.hash, f.compare,
             f.kw_only, f._field_type) for f in dataclasses.fields(cls)]


def _sample_values(cls):
    """Distinct hashable values for every init field (positional order)."""
    return [f"{f.name}-value-{i}" for i, f in enumerate(dataclasses.fields(cls)) if f.init]


def _required(cls):
    return [f.name for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]


def _hash_or_error(obj):
    try:
        return hash(obj)
    except TypeError as exc:
        return type(exc)


@pytest.mark.parametrize("cls", RECORD_CLASSES, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_record_matches_dataclass(cls):
    twin = _twin(cls)
    assert dataclasses.is_dataclass(cls)
    assert _field_view(cls) == _field_view(twin)
    assert cls.__match_args__ == twin.__match_args__
    assert str(inspect.signature(cls)) == str(inspect.signature(twin))
    for f in dataclasses.fields(cls):      # class attributes for defaults, none for factories
        assert hasattr(cls, f.name) == hasattr(twin, f.name)
        if hasattr(twin, f.name) and not isinstance(getattr(twin, f.name), property):
            assert getattr(cls, f.name) == getattr(twin, f.name)

    values = _sample_values(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    ours, theirs = cls(*values), twin(*values)
    assert repr(ours) == repr(theirs)
    assert dataclasses.asdict(ours) == dataclasses.asdict(theirs)
    assert dataclasses.astuple(ours) == dataclasses.astuple(theirs)
    assert _hash_or_error(ours) == _hash_or_error(theirs)
    assert list(vars(ours)) == list(vars(theirs))       # same attribute order
    by_keyword = cls(**dict(zip(names, values)))
    assert by_keyword == ours and not (by_keyword != ours)
    assert ours != theirs                                 # another class never compares equal

    minimal = {name: f"{name}!" for name in _required(cls)}
    assert repr(cls(**minimal)) == repr(twin(**minimal))
    assert cls(**minimal) == cls(**minimal)
    for name in _required(cls):
        partial = {k: v for k, v in minimal.items() if k != name}
        with pytest.raises(TypeError, match=repr(name)):
            cls(**partial)
        with pytest.raises(TypeError):
            twin(**partial)
    with pytest.raises(TypeError, match="unexpected keyword argument 'no_such_field'"):
        cls(**minimal, no_such_field=1)
    with pytest.raises(TypeError, match="positional arguments"):
        cls(*values, "one too many")

    first = names[0]
    changed = dataclasses.replace(ours, **{first: "changed"})
    assert changed != ours and getattr(changed, first) == "changed"
    assert repr(changed) == repr(dataclasses.replace(theirs, **{first: "changed"}))
    assert records.replace(ours, **{first: "changed"}) == changed

    if not cls.__dict__["__record_params__"]["frozen"]:
        setattr(ours, first, "x")
        assert getattr(ours, first) == "x" and cls.__hash__ is twin.__hash__ is None
        return
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(ours, first, "x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        delattr(ours, first)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ours.not_a_field = 1
    assert pickle.loads(pickle.dumps(ours)) == ours
    assert copy.deepcopy(ours) == ours and copy.copy(ours) == ours


def test_parity_covers_the_data_model():
    names = {c.__name__ for c in RECORD_CLASSES}
    assert {"Service", "Project", "Config", "ContainerSpec", "ImageInfo", "Event"} <= names
    assert not [v for m in MODULES for v in vars(m).values()
                if isinstance(v, type) and v.__module__ == m.__name__
                and "__dataclass_fields__" in v.__dict__ and "__record_fields__" not in v.__dict__]


def test_factory_defaults_are_fresh_per_instance():
    a, b = compose.model.Project("p", "/"), compose.model.Project("p", "/")
    assert a.services == {} and a.services is not b.services
    assert engine.types.ContainerSpec.__dataclass_fields__["env"].default_factory is dict


def test_events_extra_is_not_compared():
    one = engine.events.Event("image", "busybox", "Pulled", extra={"a": 1})
    two = engine.events.Event("image", "busybox", "Pulled", extra={"b": 2})
    assert one == two
    assert "extra={'a': 1}" in repr(one)


# --------------------------------------------------------------------------- features


def _short(text):
    """A repr without the test function's <locals> prefix."""
    return text.rpartition(">.")[2]


def _both(body, **options):
    """The same class body decorated by record and by dataclass."""
    return record(**options)(body()), dataclasses.dataclass(**options)(body())


def test_field_flags_follow_dataclasses():
    def body():
        class Flags:
            a: int
            b: int = 0
            c: tuple = dataclasses.field(default_factory=tuple, repr=False)
            d: int = dataclasses.field(default=4, hash=False)
            e: int = dataclasses.field(default=5, compare=False)
            f: Optional[dict] = None
        return Flags
    ours, theirs = _both(body, frozen=True)
    assert repr(ours(1)) == repr(theirs(1))
    assert repr(ours(1)).endswith(".Flags(a=1, b=0, d=4, e=5, f=None)")
    assert ours(1, e=9) == ours(1, e=1)
    assert ours(1, d=9) != ours(1, d=1)
    assert hash(ours(1, d=1)) == hash(ours(1, d=2)) == hash(theirs(1, d=3))
    assert hash(ours(1, c=(1,))) != hash(ours(1, c=(2,)))
    with pytest.raises(TypeError):            # a dict value is compared and hashed
        hash(ours(1, f={}))
    with pytest.raises(TypeError):
        hash(theirs(1, f={}))


def test_record_field_function_matches_dataclasses_field():
    @record(frozen=True)
    class Item:
        name: str
        tags: dict = field(default_factory=dict, compare=False)
        secret: str = field(default="", repr=False)
        weight: int = field(default=1, hash=False)
    item = Item("x", {"a": 1}, "s", 3)
    assert _short(repr(item)) == "Item(name='x', tags={'a': 1}, weight=3)"
    assert item == Item("x", {}, "s", 3)
    f = {f.name: f for f in dataclasses.fields(Item)}
    assert f["tags"].compare is False and f["secret"].repr is False and f["weight"].hash is False
    with pytest.raises(ValueError, match="both default and default_factory"):
        field(default=1, default_factory=dict)


def test_inheritance_overrides_and_order():
    @record(frozen=True)
    class Base:
        a: int
        b: str = "b"

    @record(frozen=True)
    class Child(Base):
        c: float = 1.0
        b: str = "child"

    assert [f.name for f in dataclasses.fields(Child)] == ["a", "b", "c"]
    assert _short(repr(Child(1))) == "Child(a=1, b='child', c=1.0)"
    assert Child(1) != Base(1)
    with pytest.raises(TypeError, match="non-default argument 'd' follows default argument"):
        @record(frozen=True)
        class Bad(Base):
            d: int
    with pytest.raises(TypeError, match="non-frozen"):
        @record
        class Thawed(Base):
            d: int = 0

    @dataclasses.dataclass(frozen=True)
    class RealChild(Child):
        d: int = 4
    assert _short(repr(RealChild(1))) == "RealChild(a=1, b='child', c=1.0, d=4)"


def test_kw_only_and_post_init():
    seen = []

    @record(frozen=True, kw_only=True)
    class Options:
        path: str
        mode: int = 0o644

        def __post_init__(self):
            seen.append(self.path)
    with pytest.raises(TypeError):
        Options("x")
    assert Options(path="x").mode == 0o644 and seen == ["x"]
    assert Options.__match_args__ == ()

    @record
    class Mixed:
        a: int
        b: int = field(default=2, kw_only=True)
        c: int = 3
    assert Mixed(1, 5).c == 5 and Mixed(1, b=7).b == 7
    assert str(inspect.signature(Mixed)) == "(a: 'int', c: 'int' = 3, *, b: 'int' = 2) -> None"


def test_definition_errors_match_dataclasses():
    with pytest.raises(ValueError, match="mutable default <class 'list'> for field x"):
        @record(frozen=True)
        class Mutable:
            x: list = []
    with pytest.raises(TypeError, match="'y' is a field but has no type annotation"):
        @record(frozen=True)
        class Unannotated:
            y = field(default=1)


def test_classvar_skipped_and_class_methods_kept():
    @record(frozen=True)
    class Counter:
        limit: ClassVar[int] = 3
        other: typing.ClassVar[str] = "x"
        value: Optional[int] = None

        def __repr__(self):
            return "custom"
    assert [f.name for f in dataclasses.fields(Counter)] == ["value"]
    assert repr(Counter(1)) == "custom" and Counter.limit == 3


def test_non_frozen_record_is_mutable_and_unhashable():
    @record
    class Box:
        size: int = 0
    box = Box()
    box.size = 3
    assert box == Box(3)
    assert Box.__hash__ is None
    assert dataclasses.fields(Box)[0].name == "size"


def test_unsupported_options_fall_back_to_dataclasses():
    @record(frozen=True, order=True)
    class Version:
        major: int
        minor: int = 0
    assert Version(1, 2) < Version(2) and "__record_fields__" not in Version.__dict__
    assert dataclasses.is_dataclass(Version)


def test_recursive_repr_and_error_messages():
    @record
    class Node:
        child: object = None
    node = Node()
    node.child = node
    assert _short(repr(node)) == "Node(child=...)"

    @record(frozen=True)
    class Pair:
        left: int
        right: int
    with pytest.raises(TypeError, match=r"Pair.__init__\(\) missing 2 required positional "
                                        r"arguments: 'left' and 'right'"):
        Pair()
    with pytest.raises(TypeError, match="got multiple values for argument 'left'"):
        Pair(1, left=2)


def test_importing_records_does_not_import_dataclasses():
    import subprocess
    import sys
    code = ("import sys, compose.model, engine.types, compose.errors, compose.reconcile, "
            "compose.loader.pipeline, engine.layout, engine.images.store; "
            "print('dataclasses' in sys.modules, 'inspect' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False"]


def test_module_helpers_match_dataclasses():
    from engine.types import ContainerSpec, EndpointSpec
    spec = ContainerSpec(image="busybox", networks={"n": EndpointSpec(aliases=("a",))})
    assert [f.name for f in records.fields(spec)] == [f.name for f in dataclasses.fields(spec)]
    def factories(items, missing):
        return [None if f.default_factory is missing else f.default_factory for f in items]
    assert factories(records.fields(ContainerSpec), records.MISSING) == \
        factories(dataclasses.fields(ContainerSpec), dataclasses.MISSING)
    assert records.is_dataclass(spec) and records.is_dataclass(ContainerSpec)
    assert not records.is_dataclass(dict) and not records.is_dataclass(Optional[int])

    @dataclasses.dataclass
    class Plain:
        x: int = 1
    assert records.is_dataclass(Plain) and records.fields(Plain) == dataclasses.fields(Plain)
    assert records.replace(Plain(), x=2) == Plain(2)
    assert records.replace(spec, image="alpine") == dataclasses.replace(spec, image="alpine")
    with pytest.raises(TypeError):
        records.replace(spec, no_such_field=1)


def test_serial_round_trip_without_dataclasses():
    import subprocess
    import sys
    code = (
        "import sys\n"
        "from engine.runtime import serial\n"
        "from engine import types as T\n"
        "s = T.ContainerSpec(image='busybox', networks={'n': T.EndpointSpec(aliases=('a',))},\n"
        "                    ports=(T.PortBinding(container_port=80),))\n"
        "back = serial.from_dict(T.ContainerSpec, serial.to_dict(s))\n"
        "print(back == s, type(back.networks['n']).__name__, 'dataclasses' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["True", "EndpointSpec", "False"]


def test_fallbacks_keep_field_defaults():
    @record(frozen=True)
    class WithInitVar:
        items: dict = dataclasses.field(default_factory=dict)
        seed: dataclasses.InitVar[int] = 0

        def __post_init__(self, seed):
            self.items.setdefault("seed", seed)
    assert WithInitVar(seed=3).items == {"seed": 3} and WithInitVar().items == {"seed": 0}

    @record
    class Watched:
        tags: dict = field(default_factory=dict)
        log: list = dataclasses.field(default_factory=list)

        def __setattr__(self, name, value):
            object.__setattr__(self, name, value)
    one, two = Watched(), Watched()
    assert one.tags == {} and one.tags is not two.tags and one.log == []
