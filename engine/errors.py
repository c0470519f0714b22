"""The engine's one error tree.

    EngineError                      base; ``str(e)`` is a complete, user-facing sentence
    ├── NotFound                     no such image / container / network / volume / blob
    ├── Conflict                     name in use, object in use, state does not allow it
    ├── InvalidArgument              a spec or flag value the engine cannot accept
    ├── Locked                       a lock could not be taken in time (names the holder)
    ├── ImageError                   bad reference, bad manifest, digest mismatch, bad layer
    │   └── RegistryError            talking to a registry failed (HTTP status, auth, network)
    ├── RuntimeFailure               the kernel refused something while running a container
    ├── NetworkError                 bridge / veth / IPAM / NAT / port publishing failures
    └── BuildError                   Dockerfile syntax errors and failed build steps

OSError and subprocess errors are translated into these at the edge where they happen.
Library code never prints and never exits: the CLI renders these and picks exit codes.
"""
from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    exit_code = 1


class NotFound(EngineError):
    pass


class Conflict(EngineError):
    pass


class InvalidArgument(EngineError):
    pass


class Locked(EngineError):
    pass


class ImageError(EngineError):
    pass


class RegistryError(ImageError):
    pass


class RuntimeFailure(EngineError):
    pass


class NetworkError(EngineError):
    pass


class BuildError(EngineError):
    pass
