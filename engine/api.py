"""The engine facade: the only entry point the compose package (and the CLI) uses.

    eng = Engine()                       # or Engine(root=..., runroot=...) in tests
    eng.images      -> engine.images.service.ImageService
    eng.containers  -> engine.runtime.service.ContainerService
    eng.networks    -> engine.network.service.NetworkService
    eng.volumes     -> engine.volumes.service.VolumeService
    eng.builder     -> engine.build.service.Builder

``eng.paths`` (engine.layout.Paths) holds the same root/runroot as plain strings; ``eng.layout``
is made on first use. Each sub-service is imported on first use, so ``pycompose --help`` never pays for it.
The methods each service offers are documented in its own module; the shared vocabulary is
docker's: ``list(filters)``, ``inspect(id_or_name)``, ``create(spec)``, ``remove(id, force=)``;
objects are found by full id, unique id prefix or name. Long operations take ``on_event``
(see engine.events). Errors are engine.errors.EngineError subclasses.
"""
from __future__ import annotations

import os

from .layout import Layout, Paths


class cached_property:  # noqa: N801 - functools.cached_property's name and behaviour
    """functools.cached_property without importing functools (and its collections import:
    ~4 ms of a CLI call that does not otherwise need them): computed on first access, then
    kept in the instance's __dict__ (which shadows this non-data descriptor)."""

    def __init__(self, func) -> None:
        self.func = func
        self.attrname = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner, name: str) -> None:
        self.attrname = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.attrname] = value
        return value


class Engine:
    def __init__(self, root: str | os.PathLike | None = None,
                 runroot: str | os.PathLike | None = None) -> None:
        self.paths = Paths.from_env(root, runroot)   # str(layout.root) etc., no pathlib
        self.paths.ensure()

    @cached_property
    def layout(self) -> Layout:
        """engine.layout.Layout of this engine (made on first use: pathlib costs ~10 ms)."""
        return self.paths.layout()

    @cached_property
    def images(self):
        from .images.service import ImageService
        return ImageService(self)

    @cached_property
    def containers(self):
        from .runtime.service import ContainerService
        return ContainerService(self)

    @cached_property
    def networks(self):
        from .network.service import NetworkService
        return NetworkService(self)

    @cached_property
    def volumes(self):
        from .volumes.service import VolumeService
        return VolumeService(self)

    @cached_property
    def builder(self):
        from .build.service import Builder
        return Builder(self)
