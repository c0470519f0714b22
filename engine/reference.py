"""Image references, normalised exactly as Docker does (distribution/reference).

    parse("busybox")            -> docker.io/library/busybox:latest
    parse("localhost:5000/x")   -> localhost:5000/x:latest
    parse("x@sha256:<hex>")     -> docker.io/library/x@sha256:<hex> (no implicit tag)

``Reference.familiar`` is the short form the docker CLI prints ("busybox:latest").
Invalid input raises engine.errors.ImageError with Docker's wording.
"""
from __future__ import annotations

import re
from engine.records import record
from typing import Optional

from .errors import ImageError

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
NAME_TOTAL_MAX = 255

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN = rf"(?:{_DOMAIN_NAME}|{_IPV6})(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
REFERENCE_RE = re.compile(rf"^({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?$")
TAG_RE = re.compile(rf"^{_TAG}$")
HEX64_RE = re.compile(r"^[a-f0-9]{64}$")
DIGEST_RE = re.compile(r"^sha256:[a-f0-9]{64}$")


@record(frozen=True)
class Reference:
    domain: str
    path: str                       # "library/busybox"
    tag: Optional[str] = None
    digest: Optional[str] = None

    @property
    def name(self) -> str:
        """Fully qualified repository name: docker.io/library/busybox."""
        return f"{self.domain}/{self.path}"

    @property
    def familiar_name(self) -> str:
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        if self.path.startswith(OFFICIAL_PREFIX) and "/" not in self.path[len(OFFICIAL_PREFIX):]:
            return self.path[len(OFFICIAL_PREFIX):]
        return self.path

    def __str__(self) -> str:
        return self.name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    @property
    def familiar(self) -> str:
        return self.familiar_name + (f":{self.tag}" if self.tag else "") + \
            (f"@{self.digest}" if self.digest else "")

    def with_tag(self, tag: str) -> "Reference":
        return Reference(self.domain, self.path, tag, None)

    def with_digest(self, digest: str) -> "Reference":
        return Reference(self.domain, self.path, None, digest)

    @property
    def tagged_name(self) -> str:
        """name:tag (the key of the tag index); only for references with a tag."""
        return f"{self.name}:{self.tag}"


def _split_domain(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if not sep or ("." not in first and ":" not in first and first != "localhost"
                   and first.lower() == first):
        domain, remainder = DEFAULT_DOMAIN, name
    else:
        domain, remainder = first, rest
    if domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_PREFIX + remainder
    return domain, remainder


def parse(text: str, *, default_tag: bool = True) -> Reference:
    """Parse and normalise a reference; add ``:latest`` when it has neither tag nor digest."""
    if not isinstance(text, str) or not text:
        raise ImageError("invalid reference format: repository name must have at least one component")
    if HEX64_RE.match(text):
        raise ImageError(f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings")
    name_part = text
    at = name_part.find("@")
    if at >= 0:
        name_part = name_part[:at]
    colon = name_part.rfind(":")
    if colon > name_part.rfind("/"):
        name_part = name_part[:colon]
    domain, remainder = _split_domain(name_part)
    if remainder.lower() != remainder:
        raise ImageError(f"invalid reference format: repository name ({remainder}) must be lowercase")
    full = f"{domain}/{remainder}" + text[len(name_part):]
    m = REFERENCE_RE.match(full)
    if not m:
        raise ImageError(f"invalid reference format: {text!r} is not a valid image reference")
    name, tag, digest = m.group(1), m.group(2), m.group(3)
    if len(name) > NAME_TOTAL_MAX:
        raise ImageError(f"invalid reference format: repository name must not be more than "
                         f"{NAME_TOTAL_MAX} characters")
    if digest is not None and not DIGEST_RE.match(digest):
        raise ImageError(f"invalid reference format: unsupported digest {digest!r} "
                         "(only sha256:<64 lowercase hex> is supported)")
    if tag is None and digest is None and default_tag:
        tag = "latest"
    return Reference(domain, remainder, tag, digest)


def parse_repository(text: str) -> Reference:
    """A repository name without tag/digest (``docker push NAME`` style checks)."""
    return parse(text, default_tag=False)


def is_valid(text: str) -> bool:
    try:
        parse(text)
        return True
    except ImageError:
        return False


def familiar(full: str) -> str:
    """docker.io/library/busybox:latest -> busybox:latest (anything unparsable unchanged)."""
    try:
        return parse(full, default_tag=False).familiar
    except ImageError:
        return full
