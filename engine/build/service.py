"""Builder: the build half of the engine API (``Engine.builder``).

    info = engine.builder.build(BuildSpec(context="app", tags=("web:dev",)), on_event=cb)
    engine.builder.prune() -> int            # drop the build cache; bytes freed
    engine.builder.parse(text) -> Dockerfile # syntax check only

``build`` reads the Dockerfile (``spec.dockerfile`` relative to the context, or
``spec.dockerfile_inline``), builds the stages the target needs (in parallel where they are
independent), reuses cached steps, writes the image through ``engine.images.create_image``
and tags it. Progress goes to ``on_event`` as ``build-step`` events (engine/build/progress.py).
Errors are BuildError (syntax errors name ``Dockerfile:<line>``; a failing RUN carries its
exit code). Nothing is tagged unless the whole build succeeded.
"""
from __future__ import annotations

from ..types import BuildSpec, ImageInfo


class Builder:
    def __init__(self, engine) -> None:
        self.engine = engine

    def build(self, spec: BuildSpec, on_event=None) -> ImageInfo:
        from .executor import BuildRun
        return BuildRun(self.engine, spec, on_event).execute()

    def parse(self, text: str, filename: str = "Dockerfile"):
        from .instructions import parse_dockerfile
        return parse_dockerfile(text, filename)

    def prune(self) -> int:
        from .cache import BuildCache
        return BuildCache(self.engine).prune()
