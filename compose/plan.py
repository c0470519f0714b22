"""The Plan: what ``up``/``down``/... will do, decided purely before anything is touched.

A Plan is an ordered list of Operations forming a DAG (``after`` holds the keys of the
operations that must finish first). Each operation names its object, its action and the
cause that made the planner choose it ("not found", "config hash diverged", "scale down").

``Plan.render()`` is the one stable text form: it is what ``--dry-run`` prints, what debug
output shows and what the golden tests compare against::

    network   demo_default              create      not found
    container demo-db-1                 create      not found
    container demo-web-1                recreate    config hash diverged     after db:healthy
"""
from __future__ import annotations

from engine.records import field, record

# actions
CREATE = "create"
RECREATE = "recreate"
START = "start"
STOP = "stop"
REMOVE = "remove"
KEEP = "keep"           # nothing to do (rendered only in verbose mode)
WAIT = "wait"           # wait for a depends_on condition of a service
REMOVE_IMAGE = "remove-image"


@record
class Operation:
    key: str                                  # unique within the plan
    kind: str                                 # network | volume | container | service | image
    name: str                                 # object name (container/network/volume name)
    action: str
    cause: str = ""
    service: str = ""
    after: tuple[str, ...] = ()
    # payload for the executor (not rendered)
    container_id: str = ""                    # existing container (recreate/start/stop/remove)
    number: int = 0                           # container number (create/recreate)
    condition: str = ""                       # WAIT: service_started|service_healthy|...
    required: bool = True                     # WAIT: a failure is only a warning if False
    timeout: float | None = None           # STOP: grace period
    data: dict = field(default_factory=dict)  # anything else (specs built lazily)

    def line(self) -> str:
        text = f"{self.kind:<9} {self.name:<28} {self.action:<10}"
        if self.cause:
            text += f" {self.cause}"
        return text.rstrip()


@record
class Plan:
    operations: list[Operation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, op: Operation) -> Operation:
        if any(o.key == op.key for o in self.operations):
            raise ValueError(f"duplicate plan key {op.key}")
        self.operations.append(op)
        return op

    def get(self, key: str) -> Operation | None:
        for op in self.operations:
            if op.key == key:
                return op
        return None

    def keys(self) -> set[str]:
        return {op.key for op in self.operations}

    def __iter__(self):
        return iter(self.operations)

    def __len__(self) -> int:
        return len(self.operations)

    def actionable(self) -> list[Operation]:
        return [op for op in self.operations if op.action != KEEP]

    def render(self, *, verbose: bool = False) -> str:
        """The stable text form, one operation per line, in a deterministic topological order."""
        lines = []
        for op in self.ordered():
            if op.action == KEEP and not verbose:
                continue
            line = op.line()
            if op.after:
                shown = [self._label(k) for k in op.after]
                shown = [s for s in shown if s]
                if shown:
                    line = f"{line:<72} after {', '.join(sorted(set(shown)))}"
            lines.append(line.rstrip())
        for w in self.warnings:
            lines.append(f"warning: {w}")
        return "\n".join(lines) + ("\n" if lines else "")

    def _label(self, key: str) -> str:
        op = self.get(key)
        if op is None or op.kind in ("network", "volume"):
            return ""
        if op.kind == "service":
            return f"{op.service}:{op.condition.replace('service_', '')}"
        return f"{op.name}:{op.action}"

    def ordered(self) -> list[Operation]:
        """Kahn's algorithm keeping insertion order among ready operations."""
        by_key = {op.key: op for op in self.operations}
        pending = {op.key: {k for k in op.after if k in by_key} for op in self.operations}
        done: set[str] = set()
        out: list[Operation] = []
        while pending:
            ready = [op for op in self.operations if op.key in pending and pending[op.key] <= done]
            if not ready:
                raise ValueError(f"plan has a cycle among {sorted(pending)}")
            for op in ready:
                out.append(op)
                done.add(op.key)
                del pending[op.key]
        return out
