"""pycompose's bundled, daemonless single-host container engine.

Usable as a library on its own (like containerd under Docker). The compose package may import
only ``engine.api``, ``engine.types``, ``engine.errors``, ``engine.events`` and
``engine.records`` (the dataclass-compatible record decorator).
"""
