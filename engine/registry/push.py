"""Push: upload the layers and config a registry does not have yet (cross-repository mount
from another repository of the same registry when we know one that has the blob; a
monolithic PUT for small blobs, PATCH chunks for large ones), then PUT the manifest."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator, Optional
from urllib.parse import urljoin

from .. import reference
from ..errors import ImageError, NotFound, RegistryError
from ..events import Event
from ..images import manifest as mf
from ..images.index import add_image
from .client import RegistryClient
from .pull import _creds, _emit

MONOLITHIC_MAX = 32 << 20           # blobs up to this size go in one PUT
CHUNK_SIZE = 16 << 20
Sink = Optional[Callable[[Event], None]]


def _location(client: RegistryClient, resp) -> str:
    loc = resp.headers.get("location")
    if not loc:
        raise RegistryError(f"registry {client.domain} did not return an upload location")
    return urljoin(client.base_url + "/", loc)


def _with_query(url: str, **params: str) -> str:
    sep = "&" if "?" in url else "?"
    return url + sep + "&".join(f"{k}={v}" for k, v in params.items())


def _mount_sources(svc, domain: str, repository: str, digest: str) -> list[str]:
    """Other repositories on ``domain`` that hold ``digest`` (from our own records)."""
    doc = svc.store.index.read()
    sources = []
    for image_id, rec in doc["images"].items():
        names = [t.rpartition(":")[0] for t, i in doc["tags"].items() if i == image_id]
        names += [d.partition("@")[0] for d in rec.get("repo_digests", [])]
        names = [n for n in names if n.startswith(domain + "/") and n != f"{domain}/{repository}"]
        if not names:
            continue
        try:
            image = svc.store.load_image(image_id, doc)
        except ImageError:
            continue
        if digest in {image.id, *(d.digest for d in image.layers)}:
            sources += [n[len(domain) + 1:] for n in names if n[len(domain) + 1:] not in sources]
    return sources


def _chunks(f, size: int) -> Iterator[bytes]:
    while True:
        data = f.read(size)
        if not data:
            return
        yield data


def upload_blob(svc, client: RegistryClient, digest: str, size: int, on_event: Sink,
                chunk_size: int = CHUNK_SIZE, monolithic_max: int = MONOLITHIC_MAX) -> str:
    """Make sure the registry has ``digest``; returns what happened (docker's wording)."""
    ident = digest[7:19]
    repo_path = f"/v2/{client.repository}/blobs/uploads/"
    if client.blob_exists(digest):
        return "Layer already exists"
    location = None
    for source in _mount_sources(svc, client.domain, client.repository, digest):
        resp = client.request("POST", _with_query(repo_path, mount=digest, **{"from": source}),
                              push=True, ok=(201, 202), what=f"mounting {ident}")
        if resp.status_code == 201:
            return f"Mounted from {source}"
        location = _location(client, resp)
        break
    if location is None:
        resp = client.request("POST", repo_path, push=True, ok=(202,), what=f"starting upload of {ident}")
        location = _location(client, resp)
    with svc.content.open(digest) as f:
        if size <= monolithic_max:
            client.request("PUT", _with_query(location, digest=digest), push=True, ok=(201,),
                           content=f.read(), what=f"uploading {ident}",
                           headers={"Content-Type": "application/octet-stream"})
            return "Pushed"
        offset = 0
        for chunk in _chunks(f, chunk_size):
            end = offset + len(chunk) - 1
            resp = client.request("PATCH", location, push=True, ok=(202,), content=chunk,
                                  what=f"uploading {ident}",
                                  headers={"Content-Type": "application/octet-stream",
                                           "Content-Range": f"{offset}-{end}"})
            location = _location(client, resp)
            offset = end + 1
            _emit(on_event, "layer", ident, "Pushing", offset, size)
    client.request("PUT", _with_query(location, digest=digest), push=True, ok=(201,),
                   what=f"finishing upload of {ident}")
    return "Pushed"


def push_image(svc, ref_text: str, on_event: Sink, auth: Optional[dict], *,
               chunk_size: int = CHUNK_SIZE, monolithic_max: int = MONOLITHIC_MAX) -> str:
    ref = reference.parse(ref_text)
    if ref.digest:
        raise ImageError("cannot push a digest reference")
    try:
        image = svc.store.get(str(ref))
    except NotFound:
        raise NotFound(f"An image does not exist locally with the tag: {ref.familiar_name}") from None
    if ref.tagged_name not in image.tags:
        raise NotFound(f"An image does not exist locally with the tag: {ref.familiar_name}")
    manifest_bytes = svc.content.read(image.manifest_digest)
    config_desc, layers = mf.parse_manifest(manifest_bytes)
    _emit(on_event, "image", ref.familiar, "Pushing")
    with RegistryClient(ref.domain, ref.path, credentials=_creds(auth)) as client:
        def push_one(desc: mf.Descriptor) -> None:
            ident = desc.digest[7:19]
            _emit(on_event, "layer", ident, "Preparing")
            status = upload_blob(svc, client, desc.digest, desc.size, on_event, chunk_size, monolithic_max)
            _emit(on_event, "layer", ident, status)
        with ThreadPoolExecutor(3) as pool:
            futures = [pool.submit(push_one, d) for d in layers]
            errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise errors[0]
        push_one(config_desc)
        media_type = image.record.get("media_type") or mf.OCI_MANIFEST
        resp = client.request("PUT", f"/v2/{ref.path}/manifests/{ref.tag}", push=True, ok=(201,),
                              content=manifest_bytes, headers={"Content-Type": media_type},
                              what=f"pushing the manifest of {ref.familiar}")
    digest = image.manifest_digest
    returned = resp.headers.get("docker-content-digest")
    if returned and returned != digest:
        raise RegistryError(f"registry stored the manifest of {ref.familiar} as {returned}, expected {digest}")
    with svc.store.index.update() as doc:
        if image.id in doc["images"]:
            add_image(doc, image.id, image.manifest_digest, media_type, (f"{ref.name}@{digest}",))
    _emit(on_event, "image", ref.familiar, "Pushed")
    return digest
