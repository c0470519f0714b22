"""Progress events. The engine never prints: it calls an ``on_event`` callback with these
small objects and the CLI's renderers draw them (rich on a tty, plain lines, JSON lines).

Every long operation accepts ``on_event: Callable[[Event], None] | None = None``.
"""
from __future__ import annotations

from engine.records import field, record

TYPE_CHECKING = False           # typing (~9 ms) only for annotations: see __getattr__ below
if TYPE_CHECKING:
    from typing import Callable, Optional


@record(frozen=True)
class Event:
    """One thing that happened.

    kind:   what sort of object: "image", "layer", "container", "network", "volume",
            "build-step", "service", ...
    id:     the object's name or short id, as a user would recognise it
    status: short verb phrase: "Pulling", "Downloading", "Pulled", "Creating", "Created",
            "Started", "Healthy", "Error", "Running 3/7 RUN make", ...
    text:   optional extra line (e.g. a build step's output line, an error message)
    current/total: optional progress in bytes or steps
    """

    kind: str
    id: str
    status: str
    text: str = ""
    current: int | None = None       # (PEP 604: typing.get_type_hints needs no typing names)
    total: int | None = None
    extra: dict = field(default_factory=dict, compare=False)


def __getattr__(name: str):
    """``EventSink`` (= typing.Callable[[Event], None]) and the ``Callable`` / ``Optional``
    names this module used to import, made on first use."""
    if name in ("EventSink", "Callable", "Optional"):
        import typing
        value = typing.Callable[[Event], None] if name == "EventSink" else getattr(typing, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def ignore(_event: Event) -> None:
    """The default sink: drop events."""
