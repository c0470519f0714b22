"""Pull: resolve the manifest (choosing a platform from an index), download config and
layers concurrently into content/ingest (ranged, resumable, verified), unpack each layer
into its snapshot, then index the image. Nothing is indexed until every blob is in place.

A per-blob flock (locks/ingest-<hex>.lock) lets two processes pulling the same image share
the work: the second waits for the blob, then finds it in the store. No store-wide lock is
held while downloading; the image index lock is taken only for the final registration.
"""
from __future__ import annotations

import hashlib
import io
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Optional

import httpx

from .. import reference
from ..errors import ImageError, RegistryError
from ..events import Event
from ..images import manifest as mf
from ..locks import flock
from .client import ManifestNotFound, RegistryClient
from .config import Credentials, RegistrySettings

MAX_CONCURRENT_DOWNLOADS = int(os.environ.get("PYCOMPOSE_MAX_CONCURRENT_DOWNLOADS", "3"))  # docker's default
PROGRESS_STEP = 1 << 20
Sink = Optional[Callable[[Event], None]]


def _emit(on_event: Sink, kind: str, ident: str, status: str, current=None, total=None) -> None:
    if on_event:
        on_event(Event(kind, ident, status, current=current, total=total))


def _creds(auth: Optional[dict]) -> Optional[Credentials]:
    if not auth:
        return None
    return Credentials(auth.get("username", ""), auth.get("password", ""), auth.get("identitytoken", ""))


def fetch_manifest(client: RegistryClient, ref_text: str, digest_or_tag: str) -> tuple[bytes, str, str]:
    """(body, media type, digest) of a manifest, verified when asked for by digest."""
    resp = client.request("GET", f"/v2/{client.repository}/manifests/{digest_or_tag}",
                          headers={"Accept": mf.ACCEPT}, ok=(200, 404),
                          what=f"pulling {ref_text}")
    if resp.status_code == 404:
        raise ManifestNotFound(f"manifest for {ref_text} not found: manifest unknown")
    body = resp.content
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    if digest_or_tag.startswith("sha256:") and digest != digest_or_tag:
        raise ImageError(f"manifest digest mismatch for {ref_text}: expected {digest_or_tag}, got {digest}")
    header = resp.headers.get("docker-content-digest")
    if header and header.startswith("sha256:") and header != digest:
        raise ImageError(f"manifest digest mismatch for {ref_text}: registry says {header}, got {digest}")
    media_type = mf.media_type_of(mf.loads(body, "manifest"), resp.headers.get("content-type", "").split(";")[0])
    return body, media_type, digest


def resolve(client: RegistryClient, ref: reference.Reference, want: dict, explicit: bool):
    """Manifest (body, type, digest) for the platform, plus the digest the name points at."""
    ref_text = ref.familiar
    body, media_type, top = fetch_manifest(client, ref_text, ref.digest or ref.tag)
    if media_type in mf.INDEX_TYPES:
        chosen = mf.select_manifest(mf.parse_index(body), want)
        if chosen is None:
            raise ImageError(f"no matching manifest for {mf.format_platform(want)} in the manifest "
                             f"list entries of {ref_text}")
        body, media_type, _ = fetch_manifest(client, ref_text, chosen.digest)
        return body, media_type, chosen.digest, top
    return body, media_type, top, top


class _Pipe(io.RawIOBase):
    """A blocking byte pipe between the download thread and the unpacking thread."""

    def __init__(self) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=32)
        self._buf = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def feed(self, chunk: bytes) -> None:
        self._q.put(chunk)

    def finish(self, error: Optional[BaseException] = None) -> None:
        self._q.put(error if error is not None else _EOF)

    def readinto(self, b) -> int:
        while not self._buf and not self._eof:
            item = self._q.get()
            if item is _EOF:
                self._eof = True
            elif isinstance(item, BaseException):
                self._eof = True
                raise EOFError("download interrupted")
            else:
                self._buf = item
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def drain(self) -> None:
        try:
            while not self._eof:
                self._buf = b""
                self.readinto(bytearray(1 << 16))
        except EOFError:
            pass


_EOF = object()


class _Unpacker(threading.Thread):
    """Unpacks a layer from a _Pipe while it downloads (into a private staging dir)."""

    def __init__(self, snapshots, diff_id: str, what: str) -> None:
        super().__init__(daemon=True, name=f"unpack-{what}")
        self.pipe, self.snapshots, self.diff_id, self.what = _Pipe(), snapshots, diff_id, what
        self.staging = None
        self.error: Optional[BaseException] = None

    def run(self) -> None:
        try:
            self.staging = self.snapshots.unpack_staging(self.pipe, self.diff_id, self.what)
        except BaseException as e:      # reported by the downloader
            self.error = e
        finally:
            self.pipe.drain()


def _stream_body(resp, writer, sink, on_event: Sink, ident: str, total: int) -> None:
    last = writer.offset
    for chunk in resp.iter_raw():
        writer.write(chunk)
        if sink is not None:
            sink.feed(chunk)
        if writer.offset - last >= PROGRESS_STEP:
            last = writer.offset
            _emit(on_event, "layer", ident, "Downloading", writer.offset, total)


def download_blob(svc, client: RegistryClient, desc: mf.Descriptor, on_event: Sink,
                  ident: str, unpack_as: Optional[str] = None):
    """Fetch one blob into the content store (resuming a partial ingest), verified.

    With ``unpack_as`` (a diff id) and a fresh download, the layer is unpacked while it
    downloads; returns the verified staging dir to publish (None when not streamed)."""
    hexpart = desc.digest.partition(":")[2]
    with flock(svc.layout.lock_file(f"ingest-{hexpart}"), timeout=3600, what=f"download of {ident}"):
        if svc.content.has(desc.digest):
            _emit(on_event, "layer", ident, "Already exists")
            return None
        writer = svc.content.writer(hexpart, resume=True)
        if writer.offset >= desc.size:
            writer.truncate()
        headers = {"Accept-Encoding": "identity"}            # blob bytes exactly as stored
        if writer.offset:
            headers["Range"] = f"bytes={writer.offset}-"
        unpacker = _Unpacker(svc.snapshots, unpack_as, f"layer {ident}") \
            if unpack_as and not writer.offset else None
        try:
            resp = client.request("GET", f"/v2/{client.repository}/blobs/{desc.digest}", stream=True,
                                  ok=(200, 206), headers=headers, what=f"downloading {ident}")
            try:
                if resp.status_code == 200 and writer.offset:
                    writer.truncate()
                if unpacker is not None:
                    unpacker.start()
                _stream_body(resp, writer, unpacker and unpacker.pipe, on_event, ident, desc.size)
            finally:
                resp.close()
        except BaseException as e:
            writer.close()
            _stop(unpacker, e)
            if isinstance(e, (httpx.HTTPError, RegistryError)):
                raise RegistryError(f"downloading {ident} from {client.domain} was interrupted: "
                                    f"{e} (the next pull resumes it)") from None
            raise
        if writer.offset < desc.size:
            writer.close()
            _stop(unpacker, EOFError("truncated"))
            raise RegistryError(f"downloading {ident} from {client.domain}: connection closed after "
                                f"{writer.offset} of {desc.size} bytes (the next pull resumes it)")
        _emit(on_event, "layer", ident, "Verifying Checksum")
        if unpacker is not None:
            unpacker.pipe.finish()
        try:
            writer.commit(desc.digest, desc.size)
        except BaseException:
            _stop(unpacker, None)
            raise
        _emit(on_event, "layer", ident, "Download complete")
    if unpacker is None:
        return None
    unpacker.join()
    if unpacker.error is not None:
        raise unpacker.error
    return unpacker.staging


def _stop(unpacker: Optional[_Unpacker], error: Optional[BaseException]) -> None:
    """Stop a streaming unpack after a failed download and throw its work away."""
    if unpacker is None or not unpacker.is_alive() and unpacker.staging is None:
        return
    if error is not None:
        unpacker.pipe.finish(error)
    if unpacker.is_alive() or unpacker.ident is not None:
        unpacker.join()
    if unpacker.staging is not None:
        unpacker.snapshots.discard(unpacker.staging)


def _fetch_layer(svc, client, desc: mf.Descriptor, diff_id: str, chain_id: str, parent,
                 on_event: Sink) -> None:
    ident = desc.digest[7:19]
    if svc.snapshots.lookup(chain_id) is not None and svc.content.has(desc.digest):
        _emit(on_event, "layer", ident, "Already exists")
        return
    staging = None
    if not svc.content.has(desc.digest):
        staging = download_blob(svc, client, desc, on_event, ident,
                                unpack_as=diff_id if svc.snapshots.lookup(chain_id) is None else None)
    _emit(on_event, "layer", ident, "Extracting")
    if staging is not None:
        path = svc.snapshots.publish(staging, chain_id, parent)
    else:
        with svc.content.open(desc.digest) as blob:
            path = svc.snapshots.commit_layer(chain_id, parent, diff_id, blob, f"layer {ident}")
    svc._remember_layer(desc.digest, diff_id, desc.media_type, desc.size, path)
    _emit(on_event, "layer", ident, "Pull complete")


def _pull_from(svc, client: RegistryClient, ref: reference.Reference, want: dict,
               explicit: bool, on_event: Sink):
    body, media_type, manifest_digest, top = resolve(client, ref, want, explicit)
    config_desc, layers = mf.parse_manifest(body)
    download_blob(svc, client, config_desc, None, "config")
    config = mf.loads(svc.content.read(config_desc.digest), "image config")
    if explicit and not mf.platform_matches(
            {"os": config.get("os"), "architecture": config.get("architecture"),
             "variant": config.get("variant")}, want):
        raise ImageError(f"image with reference {ref.familiar} was found but does not match the "
                         f"specified platform: wanted {mf.format_platform(want)}")
    diff_ids = mf.diff_ids_of(config)
    if len(diff_ids) != len(layers):
        raise ImageError(f"invalid image {ref.familiar}: {len(layers)} layers but {len(diff_ids)} diff ids")
    chain = mf.chain_ids(diff_ids)
    for desc in layers:
        _emit(on_event, "layer", desc.digest[7:19], "Pulling fs layer")
    with ThreadPoolExecutor(MAX_CONCURRENT_DOWNLOADS) as pool:
        futures = [pool.submit(_fetch_layer, svc, client, desc, diff_ids[i], chain[i],
                               chain[i - 1] if i else None, on_event)
                   for i, desc in enumerate(layers)]
        errors = [f.exception() for f in futures if f.exception() is not None]
    if errors:
        raise errors[0]
    svc.content.write_bytes(body, manifest_digest)
    tags = [ref.tagged_name] if ref.tag and not ref.digest else []
    image_id, _ = svc.store.register(manifest_digest, media_type, tags, [f"{ref.name}@{top}"])
    return svc.store.info(svc.store.get(image_id))


def pull_image(svc, ref_text: str, platform: str, on_event: Sink, auth: Optional[dict]):
    ref = reference.parse(ref_text)
    want = mf.parse_platform(platform)
    settings = RegistrySettings.load()
    endpoints = settings.endpoints(ref.domain)
    _emit(on_event, "image", ref.familiar, "Pulling")
    last_error: Optional[Exception] = None
    for i, base in enumerate(endpoints):
        mirror = i < len(endpoints) - 1          # a mirror, or TLS before plain HTTP: fall through
        with RegistryClient(ref.domain, ref.path, settings=settings, credentials=_creds(auth),
                            base_url=base) as client:
            try:
                info = _pull_from(svc, client, ref, want, bool(platform), on_event)
            except RegistryError as e:
                if not mirror:
                    if ref.familiar in str(e):
                        raise
                    raise type(e)(f"pulling {ref.familiar}: {e}") from None
                last_error = e
                continue
        _emit(on_event, "image", ref.familiar, "Pulled")
        return info
    raise last_error or RegistryError(f"cannot pull {ref.familiar}")


def list_tags(svc, name: str, auth: Optional[dict]) -> list[str]:
    ref = reference.parse_repository(name)
    with RegistryClient(ref.domain, ref.path, credentials=_creds(auth)) as client:
        resp = client.request("GET", f"/v2/{ref.path}/tags/list", what=f"listing tags of {ref.familiar_name}")
        return sorted(resp.json().get("tags") or [])
