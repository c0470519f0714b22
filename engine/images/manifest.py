"""OCI image spec and Docker v2 schema 2 documents: media types, manifests, indexes,
configs, chain ids, platform matching and the config -> engine.types.ImageConfig mapping."""
from __future__ import annotations

import hashlib
import json
from engine.records import record
from typing import Optional

from ..errors import ImageError
from ..types import Healthcheck, ImageConfig

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
LAYER_TYPES = (OCI_LAYER, OCI_LAYER_GZIP, OCI_LAYER_ZSTD, DOCKER_LAYER, DOCKER_LAYER_GZIP,
               DOCKER_FOREIGN, "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip")
ACCEPT = ", ".join(MANIFEST_TYPES + INDEX_TYPES)


@record(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: Optional[dict] = None
    annotations: Optional[dict] = None

    @classmethod
    def from_json(cls, d: dict) -> "Descriptor":
        try:
            return cls(d.get("mediaType", ""), d["digest"], int(d["size"]), d.get("platform"),
                       d.get("annotations"))
        except (KeyError, TypeError, ValueError) as e:
            raise ImageError(f"invalid descriptor in manifest: {d!r}") from e

    def to_json(self) -> dict:
        out = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.platform:
            out["platform"] = self.platform
        if self.annotations:
            out["annotations"] = self.annotations
        return out


def loads(data: bytes, what: str) -> dict:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise ImageError(f"invalid {what}: not valid JSON ({e})") from None
    if not isinstance(doc, dict):
        raise ImageError(f"invalid {what}: expected a JSON object")
    return doc


def media_type_of(doc: dict, fallback: str = "") -> str:
    mt = doc.get("mediaType") or fallback
    if not mt:
        if "manifests" in doc:
            return OCI_INDEX
        if "layers" in doc and "config" in doc:
            return OCI_MANIFEST
    return mt


def parse_manifest(data: bytes) -> tuple[Descriptor, list[Descriptor]]:
    doc = loads(data, "image manifest")
    if doc.get("schemaVersion") == 1:
        raise ImageError("Docker image manifest schema 1 is not supported (deprecated format)")
    if "config" not in doc or "layers" not in doc:
        raise ImageError("invalid image manifest: missing config or layers")
    return Descriptor.from_json(doc["config"]), [Descriptor.from_json(x) for x in doc["layers"]]


def parse_index(data: bytes) -> list[Descriptor]:
    doc = loads(data, "image index")
    return [Descriptor.from_json(x) for x in doc.get("manifests", [])]


def chain_ids(diff_ids: list[str]) -> list[str]:
    """ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))."""
    out: list[str] = []
    for diff in diff_ids:
        if not out:
            out.append(diff)
        else:
            out.append("sha256:" + hashlib.sha256(f"{out[-1]} {diff}".encode()).hexdigest())
    return out


def is_gzip_type(media_type: str) -> bool:
    return media_type.endswith("gzip")


# --------------------------------------------------------------------------- platforms

_ARCH_MAP = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
             "armv7l": "arm", "armv6l": "arm", "i386": "386", "i686": "386",
             "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}


def host_platform() -> dict:
    import platform as _platform
    machine = _platform.machine()
    plat = {"os": "linux", "architecture": _ARCH_MAP.get(machine, machine)}
    if machine == "armv7l":
        plat["variant"] = "v7"
    elif machine == "armv6l":
        plat["variant"] = "v6"
    elif machine == "aarch64":
        plat["variant"] = "v8"
    return plat


def parse_platform(text: str) -> dict:
    """"linux/arm64/v8" -> {"os": "linux", "architecture": "arm64", "variant": "v8"}."""
    if not text:
        return host_platform()
    parts = text.lower().split("/")
    if len(parts) > 3 or not all(parts):
        raise ImageError(f"invalid platform {text!r}: expected os[/arch[/variant]]")
    plat = {"os": parts[0], "architecture": _ARCH_MAP.get(parts[1], parts[1]) if len(parts) > 1
            else host_platform()["architecture"]}
    if len(parts) == 3:
        plat["variant"] = parts[2]
    elif plat["architecture"] == "arm64":
        plat["variant"] = "v8"
    return plat


def format_platform(plat: dict) -> str:
    s = f"{plat.get('os', '')}/{plat.get('architecture', '')}"
    return s + (f"/{plat['variant']}" if plat.get("variant") else "")


def platform_matches(candidate: Optional[dict], want: dict) -> bool:
    if not candidate:
        return False
    if candidate.get("os") != want.get("os") or candidate.get("architecture") != want.get("architecture"):
        return False
    want_variant, have_variant = want.get("variant"), candidate.get("variant")
    if want_variant and have_variant and want_variant != have_variant:
        return not (want["architecture"] == "arm64" and {want_variant, have_variant} <= {"v8", ""})
    return True


def select_manifest(manifests: list[Descriptor], want: dict) -> Optional[Descriptor]:
    """The first manifest for ``want`` (skipping attestation manifests); exact variant first."""
    usable = [m for m in manifests if m.media_type in MANIFEST_TYPES or not m.media_type]
    usable = [m for m in usable
              if not (m.annotations or {}).get("vnd.docker.reference.type")]
    exact = [m for m in usable if platform_matches(m.platform, want)
             and (m.platform or {}).get("variant", "") == want.get("variant", "")]
    if exact:
        return exact[0]
    loose = [m for m in usable if platform_matches(m.platform, want)]
    return loose[0] if loose else None


# --------------------------------------------------------------------------- configs

def _ns_to_s(value) -> float:
    return (value or 0) / 1e9


def _tuple_or_none(value) -> Optional[tuple]:
    return None if value is None else tuple(value)


def image_config(cfg: dict) -> ImageConfig:
    """The runnable part (``config``) of an image config JSON as an ImageConfig."""
    c = cfg.get("config") or {}
    hc = c.get("Healthcheck")
    health = None
    if hc:
        test = tuple(hc.get("Test") or ())
        health = Healthcheck(test=test, interval=_ns_to_s(hc.get("Interval")) or 30.0,
                             timeout=_ns_to_s(hc.get("Timeout")) or 30.0,
                             retries=int(hc.get("Retries") or 3),
                             start_period=_ns_to_s(hc.get("StartPeriod")),
                             start_interval=_ns_to_s(hc.get("StartInterval")) or 5.0,
                             disable=test[:1] == ("NONE",))
    return ImageConfig(
        env=tuple(c.get("Env") or ()), entrypoint=_tuple_or_none(c.get("Entrypoint")),
        cmd=_tuple_or_none(c.get("Cmd")), working_dir=c.get("WorkingDir") or "",
        user=c.get("User") or "", exposed_ports=tuple(sorted((c.get("ExposedPorts") or {}).keys())),
        volumes=tuple(sorted((c.get("Volumes") or {}).keys())), labels=dict(c.get("Labels") or {}),
        stop_signal=c.get("StopSignal") or "", healthcheck=health,
        shell=_tuple_or_none(c.get("Shell")), onbuild=tuple(c.get("OnBuild") or ()))


def diff_ids_of(cfg: dict) -> list[str]:
    rootfs = cfg.get("rootfs") or {}
    ids = rootfs.get("diff_ids")
    if not isinstance(ids, list):
        raise ImageError("invalid image config: missing rootfs.diff_ids")
    return list(ids)


def canonical_json(doc: dict) -> bytes:
    """Compact JSON with sorted keys (stable digests for documents we write)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
