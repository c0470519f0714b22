"""Dataclass-compatible record classes built without ``exec``.

``@dataclass`` generates the source of ``__init__``/``__repr__``/``__eq__``/``__hash__``/
``__setattr__`` for every class and ``exec``s it: about 2-3 ms per class, which made importing
the data model (compose.model, engine.types: ~50 classes) cost well over 100 ms per CLI call.
``@record`` gives the same classes from generic closures over per-class tuples instead:

    from engine.records import record, field

    @record(frozen=True)
    class Port:
        target: int
        published: Optional[str] = None
        labels: dict = field(default_factory=dict)

What stays as with ``@dataclass``: the field rules (annotations in class order, base classes'
fields first, ``ClassVar`` skipped, defaults after required fields, no mutable defaults,
``field(default=, default_factory=, init=, repr=, hash=, compare=, metadata=, kw_only=)``),
``__init__`` (positional and keyword, ``__post_init__``), ``__repr__``/``__eq__``/``__hash__``
over the flagged fields, frozen ``__setattr__``/``__delattr__`` raising
``dataclasses.FrozenInstanceError``, ``__match_args__``, class attributes for defaults, and
``__dataclass_fields__``/``__dataclass_params__`` holding real ``dataclasses.Field`` objects, so
``dataclasses.fields/replace/asdict/astuple/is_dataclass`` and pickle/copy keep working.
Those two attributes (and ``__signature__``) are built on first access: importing a module of
records does not import ``dataclasses`` (and its ``inspect``: ~12 ms) at all, and
``records.replace/fields/is_dataclass`` do the same jobs for records without importing it.

Options this module does not implement (``order``, ``unsafe_hash``, ``slots``,
``weakref_slot``, ``InitVar`` fields, a class with ``__slots__``) are handed to the real
``dataclasses.dataclass``, so ``@record(...)`` accepts everything ``@dataclass(...)`` does.
"""
from __future__ import annotations

import sys
from _thread import get_ident
from operator import attrgetter

__all__ = ["record", "field", "replace", "fields", "is_dataclass", "MISSING"]


class _MissingType:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _MissingType()  # "no default" (ours; dataclasses.MISSING appears in the Field objects)
_REQUIRED = _MissingType()  # placeholder of a required value inside one __init__ call
_FACTORY = _MissingType()   # placeholder of a default_factory value inside one __init__ call

_CLASSVAR_NAMES = ("ClassVar", "typing.ClassVar", "t.ClassVar")
_INITVAR_NAMES = ("InitVar", "dataclasses.InitVar")
_FALLBACK_OPTIONS = ("order", "unsafe_hash", "slots", "weakref_slot")


class FieldSpec:
    """What ``field()`` returns and what a record keeps per field (``__record_fields__``)."""

    __slots__ = ("name", "type", "default", "default_factory", "init", "repr", "hash",
                 "compare", "metadata", "kw_only")

    def __init__(self, default=MISSING, default_factory=MISSING, init=True, repr=True,
                 hash=None, compare=True, metadata=None, kw_only=MISSING):
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = None
        self.type = None
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.hash = hash
        self.compare = compare
        self.metadata = metadata
        self.kw_only = kw_only

    def __repr__(self) -> str:
        return (f"FieldSpec(name={self.name!r}, type={self.type!r}, default={self.default!r}, "
                f"default_factory={self.default_factory!r}, init={self.init}, repr={self.repr}, "
                f"hash={self.hash}, compare={self.compare}, kw_only={self.kw_only})")


def field(*, default=MISSING, default_factory=MISSING, init=True, repr=True, hash=None,
          compare=True, metadata=None, kw_only=MISSING):
    """Like ``dataclasses.field``: per-field options of a record."""
    return FieldSpec(default, default_factory, init, repr, hash, compare, metadata, kw_only)


def record(cls=None, /, *, init=True, repr=True, eq=True, order=False, unsafe_hash=False,
           frozen=False, match_args=True, kw_only=False, slots=False, weakref_slot=False):
    """Class decorator with ``dataclasses.dataclass``'s signature (see the module docstring)."""
    options = dict(init=init, repr=repr, eq=eq, order=order, unsafe_hash=unsafe_hash,
                   frozen=frozen, match_args=match_args, kw_only=kw_only, slots=slots,
                   weakref_slot=weakref_slot)

    def wrap(klass):
        return _process_class(klass, options)

    return wrap if cls is None else wrap(cls)


# --------------------------------------------------------------------------- class building


def _process_class(cls, options):
    if _needs_real_dataclass(cls, options):
        return _real_dataclass(cls, options)
    own = _own_fields(cls, options["kw_only"])
    all_fields = dict(_base_fields(cls, options["frozen"]))
    for spec in own:
        all_fields[spec.name] = spec
    specs = tuple(all_fields.values())
    _check_default_order(specs)
    cls.__record_fields__ = specs
    cls.__record_params__ = options
    _install_methods(cls, specs, options)
    cls.__dataclass_fields__ = _Lazy("__dataclass_fields__", cls, _dataclass_fields)
    cls.__dataclass_params__ = _Lazy("__dataclass_params__", cls, _dataclass_params)
    if "__signature__" not in cls.__dict__:
        cls.__signature__ = _Lazy("__signature__", cls, _signature)
    if cls.__dict__.get("__doc__") is None:
        cls.__doc__ = _text_signature(cls, specs)
    return cls


def _needs_real_dataclass(cls, options) -> bool:
    """Options or class shapes this module leaves to dataclasses (decided before any change)."""
    if any(options[name] for name in _FALLBACK_OPTIONS) or "__slots__" in cls.__dict__:
        return True
    if not options["frozen"] and "__setattr__" in cls.__dict__:
        return True
    annotations = cls.__dict__.get("__annotations__", {})
    return any(_annotation_is(_INITVAR_NAMES, "InitVar", a) for a in annotations.values())


def _real_dataclass(cls, options):
    import dataclasses
    for name, value in list(cls.__dict__.items()):
        if type(value) is FieldSpec:     # records.field(...) in the body -> dataclasses.field
            setattr(cls, name, _real_field(value))
    params = {k: v for k, v in options.items() if k != "weakref_slot" or v}
    return dataclasses.dataclass(cls, **params)


def _annotation_is(names, typing_name, annotation) -> bool:
    if isinstance(annotation, str):
        head = annotation.strip().partition("[")[0].strip()
        return head in names
    module = sys.modules.get("typing" if typing_name == "ClassVar" else "dataclasses")
    if module is None:
        return False
    marker = getattr(module, typing_name)
    return annotation is marker or getattr(annotation, "__origin__", None) is marker \
        or type(annotation) is marker


def _own_fields(cls, class_kw_only):
    """FieldSpecs of the annotations in the class body (InitVars were ruled out before)."""
    annotations = cls.__dict__.get("__annotations__", {})
    specs = []
    kw_only = class_kw_only
    for name, annotation in annotations.items():
        if _annotation_is(_CLASSVAR_NAMES, "ClassVar", annotation):
            continue
        if annotation in ("KW_ONLY", "dataclasses.KW_ONLY") or (
                getattr(annotation, "__name__", "") == "KW_ONLY"
                and getattr(annotation, "__module__", "") == "dataclasses"):
            kw_only = True
            continue
        specs.append(_field_spec(cls, name, annotation, kw_only))
    for name, value in cls.__dict__.items():
        if _is_field_object(value) and name not in annotations:
            raise TypeError(f"{name!r} is a field but has no type annotation")
    return specs


def _is_field_object(value) -> bool:
    kind = type(value)
    return kind is FieldSpec or (kind.__name__ == "Field" and kind.__module__ == "dataclasses")


def _field_spec(cls, name, annotation, kw_only):
    value = cls.__dict__.get(name, MISSING)
    if _is_field_object(value):
        spec = _copy_spec(value)
    else:
        spec = FieldSpec(default=value)
    spec.name, spec.type = name, annotation
    if spec.kw_only is MISSING:
        spec.kw_only = kw_only
    default = spec.default
    if default is not MISSING and type(default).__hash__ is None:
        raise ValueError(f"mutable default {type(default)} for field {name} is not allowed: "
                         "use default_factory")
    if default is MISSING:
        if name in cls.__dict__:
            delattr(cls, name)           # a field(default_factory=...) object
    else:
        setattr(cls, name, default)
    return spec


def _copy_spec(value):
    spec = FieldSpec.__new__(FieldSpec)
    for slot in FieldSpec.__slots__:
        setattr(spec, slot, getattr(value, slot, None))
    for slot in ("default", "default_factory", "kw_only"):
        if type(getattr(spec, slot)).__name__ == "_MISSING_TYPE":
            setattr(spec, slot, MISSING)   # dataclasses.MISSING -> ours
    return spec


def _base_fields(cls, frozen):
    """(name, FieldSpec) of the fields every base class (record or dataclass) contributes."""
    out = []
    for base in cls.__mro__[-1:0:-1]:
        specs = base.__dict__.get("__record_fields__")
        if specs is None:
            real = base.__dict__.get("__dataclass_fields__")
            if real is None:
                continue
            specs = [_spec_from_field(f) for f in real.values()
                     if type(f._field_type).__name__ == "_FIELD_BASE"
                     and f._field_type.name == "_FIELD"]
            base_frozen = base.__dict__["__dataclass_params__"].frozen
        else:
            base_frozen = base.__dict__["__record_params__"]["frozen"]
        if base_frozen != frozen:
            raise TypeError("cannot inherit frozen dataclass from a non-frozen one" if frozen
                            else "cannot inherit non-frozen dataclass from a frozen one")
        out.extend((spec.name, spec) for spec in specs)
    return out


def _spec_from_field(real):
    spec = _copy_spec(real)
    spec.name, spec.type = real.name, real.type
    return spec


def _check_default_order(specs):
    seen_default = False
    for spec in specs:
        if not spec.init or spec.kw_only:
            continue
        if spec.default is not MISSING or spec.default_factory is not MISSING:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {spec.name!r} follows default argument")


def _set_new(cls, name, value):
    if name in cls.__dict__:
        return
    if callable(value) and hasattr(value, "__qualname__"):
        value.__qualname__ = f"{cls.__qualname__}.{name}"
        value.__module__ = cls.__module__
    setattr(cls, name, value)


def _install_methods(cls, specs, options):
    if options["init"]:
        _set_new(cls, "__init__", _make_init(cls, specs, options["frozen"]))
    if options["repr"]:
        _set_new(cls, "__repr__", _make_repr(tuple(s.name for s in specs if s.repr)))
    eq = options["eq"]
    if eq:
        _set_new(cls, "__eq__", _make_eq(tuple(s.name for s in specs if s.compare)))
    class_hash = cls.__dict__.get("__hash__", MISSING)
    explicit_hash = not (class_hash is MISSING or
                         (class_hash is None and "__eq__" in cls.__dict__))
    if eq and not explicit_hash:
        if options["frozen"]:
            names = tuple(s.name for s in specs if (s.compare if s.hash is None else s.hash))
            cls.__hash__ = _make_hash(names)
        else:
            cls.__hash__ = None
    if options["frozen"]:
        names = frozenset(s.name for s in specs)
        for name, method in (("__setattr__", _make_setattr(cls, names)),
                             ("__delattr__", _make_delattr(cls, names))):
            if name in cls.__dict__:
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
            _set_new(cls, name, method)
    if options["match_args"]:
        _set_new(cls, "__match_args__",
                 tuple(s.name for s in specs if s.init and not s.kw_only))


# --------------------------------------------------------------------------- generated methods


def _make_init(cls, specs, frozen):
    """A generic __init__ over per-class tuples (no exec)."""
    init_specs = [s for s in specs if s.init]
    positional = tuple(s.name for s in init_specs if not s.kw_only)
    npos = len(positional)
    accepted = frozenset(s.name for s in init_specs)
    template = {}
    factories = []                       # (name, factory) filled per call
    required = []
    for spec in specs:
        if spec.default is not MISSING:
            template[spec.name] = spec.default
        elif spec.default_factory is not MISSING:
            template[spec.name] = _FACTORY
            factories.append((spec.name, spec.default_factory))
        elif spec.init:
            template[spec.name] = _REQUIRED
            required.append(spec.name)
    factories, required = tuple(factories), tuple(required)
    size = len(template)
    strict_keywords = len(accepted) != len(specs)     # init=False fields exist
    set_field = object.__setattr__       # keeps CPython's fast inline instance values
    has_post_init = hasattr(cls, "__post_init__")
    qualname = f"{cls.__qualname__}.__init__"

    def __init__(self, *args, **kwargs):
        values = template.copy()
        if args:
            if len(args) > npos:
                raise TypeError(f"{qualname}() takes {npos + 1} positional arguments but "
                                f"{len(args) + 1} were given")
            values.update(zip(positional, args))
            if kwargs:
                _check_duplicates(qualname, positional[:len(args)], kwargs)
        if kwargs:
            if strict_keywords and not accepted.issuperset(kwargs):
                _unexpected(qualname, accepted, kwargs)
            values.update(kwargs)
            if len(values) != size:
                _unexpected(qualname, accepted, kwargs)
        for name in required:
            if values[name] is _REQUIRED:
                _missing(qualname, values, required)
        for name, factory in factories:
            if values[name] is _FACTORY:
                values[name] = factory()
        for name, value in values.items():
            set_field(self, name, value)
        if has_post_init:
            self.__post_init__()

    return __init__


def _check_duplicates(qualname, given, kwargs):
    for name in given:
        if name in kwargs:
            raise TypeError(f"{qualname}() got multiple values for argument {name!r}")


def _unexpected(qualname, accepted, kwargs):
    for name in kwargs:
        if name not in accepted:
            raise TypeError(f"{qualname}() got an unexpected keyword argument {name!r}")


def _missing(qualname, values, required):
    names = [name for name in required if values[name] is _REQUIRED]
    quoted = [repr(name) for name in names]
    listed = quoted[0] if len(quoted) == 1 else \
        ", ".join(quoted[:-1]) + (", and " if len(quoted) > 2 else " and ") + quoted[-1]
    plural = "argument" if len(names) == 1 else "arguments"
    raise TypeError(f"{qualname}() missing {len(names)} required positional {plural}: {listed}")


def _values_getter(names):
    """A function obj -> tuple of the named attributes (always a tuple)."""
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        name = names[0]
        return lambda obj: (getattr(obj, name),)
    return attrgetter(*names)


def _make_eq(names):
    values_of = _values_getter(names)

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return self is other or values_of(self) == values_of(other)
        return NotImplemented

    return __eq__


def _make_hash(names):
    values_of = _values_getter(names)

    def __hash__(self):
        return hash(values_of(self))

    return __hash__


def _make_repr(names):
    values_of = _values_getter(names)
    prefixes = tuple(f"{name}=" for name in names)
    running = set()

    def __repr__(self):
        key = (id(self), get_ident())
        if key in running:
            return "..."
        running.add(key)
        try:
            inner = ", ".join(map(str.__add__, prefixes, map(repr, values_of(self))))
        finally:
            running.discard(key)
        return f"{self.__class__.__qualname__}({inner})"

    return __repr__


def _frozen_error(message):
    from dataclasses import FrozenInstanceError
    return FrozenInstanceError(message)


def _make_setattr(cls, names):
    def __setattr__(self, name, value):
        if type(self) is cls or name in names:
            raise _frozen_error(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    return __setattr__


def _make_delattr(cls, names):
    def __delattr__(self, name):
        if type(self) is cls or name in names:
            raise _frozen_error(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __delattr__


# --------------------------------------------------------------------------- lazy dataclass views


class _Lazy:
    """A class attribute computed on first access, then stored on the class in its place."""

    def __init__(self, name, owner, build):
        self.name, self.owner, self.build = name, owner, build

    def __get__(self, instance, owner=None):
        value = self.build(self.owner)
        type.__setattr__(self.owner, self.name, value)
        return value


def _real_field(spec):
    """A dataclasses.Field with a FieldSpec's options (name/type/kind not set)."""
    import dataclasses
    kw_only = spec.kw_only if spec.kw_only is not MISSING else dataclasses.MISSING
    return dataclasses.field(
        default=dataclasses.MISSING if spec.default is MISSING else spec.default,
        default_factory=(dataclasses.MISSING if spec.default_factory is MISSING
                         else spec.default_factory),
        init=spec.init, repr=spec.repr, hash=spec.hash, compare=spec.compare,
        metadata=spec.metadata, kw_only=kw_only)


def _dataclass_fields(cls):
    import dataclasses
    out = {}
    for spec in cls.__record_fields__:
        real = _real_field(spec)
        real.name, real.type = spec.name, spec.type
        real._field_type = dataclasses._FIELD
        out[spec.name] = real
    return out


def _dataclass_params(cls):
    import dataclasses
    options = cls.__record_params__
    names = ("init", "repr", "eq", "order", "unsafe_hash", "frozen", "match_args", "kw_only",
             "slots", "weakref_slot")
    try:
        return dataclasses._DataclassParams(**{name: options[name] for name in names})
    except TypeError:                    # Python < 3.12: the first six only
        return dataclasses._DataclassParams(*(options[name] for name in names[:6]))


def _signature(cls):
    import inspect
    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for spec in cls.__record_fields__:
        if not spec.init:
            continue
        kind = inspect.Parameter.KEYWORD_ONLY if spec.kw_only is True \
            else inspect.Parameter.POSITIONAL_OR_KEYWORD
        default = inspect.Parameter.empty
        if spec.default is not MISSING:
            default = spec.default
        elif spec.default_factory is not MISSING:
            default = _FactoryDefault()
        parameters.append(inspect.Parameter(spec.name, kind, default=default,
                                            annotation=spec.type))
    parameters.sort(key=lambda p: p.kind)
    return inspect.Signature(parameters[1:], return_annotation=None)


class _FactoryDefault:
    def __repr__(self) -> str:
        return "<factory>"


def _text_signature(cls, specs) -> str:
    parts = []
    for spec in specs:
        if not spec.init:
            continue
        text = f"{spec.name}: {spec.type!r}" if spec.type is not None else spec.name
        if spec.default is not MISSING:
            text += f" = {spec.default!r}"
        elif spec.default_factory is not MISSING:
            text += " = <factory>"
        parts.append(text)
    return f"{cls.__name__}({', '.join(parts)})"


# --------------------------------------------------------------------------- helpers


def is_dataclass(obj) -> bool:
    """``dataclasses.is_dataclass`` (records included) without importing dataclasses."""
    cls = obj if isinstance(obj, type) else type(obj)
    if getattr(cls, "__record_fields__", None) is not None:
        return True                      # without building the lazy __dataclass_fields__
    return hasattr(cls, "__dataclass_fields__")


def fields(obj):
    """The fields of a record (its FieldSpecs: name, type, default, default_factory, init,
    repr, hash, compare, metadata, kw_only) without importing dataclasses; for any other class
    ``dataclasses.fields(obj)``."""
    cls = obj if isinstance(obj, type) else type(obj)
    specs = cls.__dict__.get("__record_fields__")
    if specs is not None:
        return specs
    import dataclasses
    return dataclasses.fields(obj)


def replace(obj, /, **changes):
    """``dataclasses.replace`` without importing dataclasses for records."""
    specs = getattr(type(obj), "__record_fields__", None)
    if specs is None or "__record_fields__" not in type(obj).__dict__:
        import dataclasses
        return dataclasses.replace(obj, **changes)
    for spec in specs:
        if not spec.init:
            if spec.name in changes:
                raise ValueError(f"field {spec.name} is declared with init=False, it cannot "
                                 "be specified with replace()")
            continue
        if spec.name not in changes:
            changes[spec.name] = obj.__dict__[spec.name] if spec.name in obj.__dict__ \
                else getattr(obj, spec.name)
    return obj.__class__(**changes)
