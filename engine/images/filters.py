"""``docker image ls --filter`` semantics: dangling, reference, label, before, since, id."""
from __future__ import annotations

import fnmatch

from .. import reference
from ..errors import InvalidArgument
from ..types import ImageInfo

KNOWN = {"dangling", "reference", "label", "before", "since", "id", "until"}


def _values(filters: dict, key: str) -> list[str]:
    v = filters.get(key)
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


def _ref_matches(info: ImageInfo, pattern: str) -> bool:
    for tag in info.repo_tags:
        fam = reference.familiar(tag)
        name = fam.rpartition(":")[0]
        for candidate in (fam, name, tag, tag.rpartition(":")[0]):
            if fnmatch.fnmatchcase(candidate, pattern):
                return True
    return False


def _label_matches(info: ImageInfo, spec: str) -> bool:
    key, eq, val = spec.partition("=")
    if key not in info.labels:
        return False
    return not eq or info.labels[key] == val


def match(info: ImageInfo, filters: dict, svc) -> bool:
    for key in filters:
        if key not in KNOWN:
            raise InvalidArgument(f"invalid filter '{key}'")
    for val in _values(filters, "dangling"):
        want = val.lower() in ("true", "1")
        if val.lower() not in ("true", "false", "1", "0"):
            raise InvalidArgument(f"invalid filter 'dangling={val}': use true or false")
        if want != (not info.repo_tags):
            return False
    refs = _values(filters, "reference")
    if refs and not any(_ref_matches(info, r) for r in refs):
        return False
    if not all(_label_matches(info, spec) for spec in _values(filters, "label")):
        return False
    ids = _values(filters, "id")
    if ids and not any(info.id[7:].startswith(i.partition(":")[2] or i) for i in ids):
        return False
    for val in _values(filters, "before"):
        if not info.created < svc.inspect(val).created:
            return False
    for val in _values(filters, "since"):
        if not info.created > svc.inspect(val).created:
            return False
    return True
