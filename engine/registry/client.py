"""An OCI distribution client on httpx: one RegistryClient per (registry, repository).

Auth follows the WWW-Authenticate challenge of a 401: ``Bearer realm=..,service=..,scope=..``
fetches a token from the realm (anonymously, or with basic credentials / an identity token
from ~/.docker/config.json) and retries; ``Basic`` retries with the credentials. Tokens are
cached per scope for the client's lifetime. Every failure becomes a RegistryError that
names the registry and says what to do.
"""
from __future__ import annotations

import base64
import re
import threading
from typing import Optional

import httpx

from ..errors import NotFound, RegistryError
from .config import Credentials, RegistrySettings, credentials_for

USER_AGENT = "pycompose/0.1 (distribution client)"
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
_CHALLENGE_RE = re.compile(r'(\w+)="([^"]*)"')


class ManifestNotFound(RegistryError, NotFound):
    """The registry has no such manifest (tag or digest)."""


def parse_challenge(header: str) -> tuple[str, dict]:
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), dict(_CHALLENGE_RE.findall(rest))


def registry_error(resp: httpx.Response, what: str) -> RegistryError:
    detail = ""
    try:
        errors = resp.json().get("errors") or []
        if errors:
            e = errors[0]
            detail = f"{e.get('code', '').lower()}: {e.get('message', '')}".strip(": ")
    except ValueError:
        pass
    if resp.status_code == 401:
        return RegistryError(f"{what}: unauthorized: authentication required"
                             + (f" ({detail})" if detail else "")
                             + " — log in (credentials in ~/.docker/config.json)")
    if resp.status_code == 403:
        return RegistryError(f"{what}: denied: requested access to the resource is denied")
    return RegistryError(f"{what}: registry returned HTTP {resp.status_code}"
                         + (f" ({detail})" if detail else ""))


class RegistryClient:
    def __init__(self, domain: str, repository: str, *, settings: Optional[RegistrySettings] = None,
                 credentials: Optional[Credentials] = None, base_url: Optional[str] = None) -> None:
        self.domain = domain
        self.repository = repository
        self.settings = settings or RegistrySettings.load()
        self.base_url = base_url or self.settings.endpoints(domain)[-1]
        self.credentials = credentials if credentials is not None else credentials_for(domain)
        self.http = httpx.Client(timeout=TIMEOUT, follow_redirects=True,
                                 verify=not (self.base_url.startswith("http://")
                                             or self.settings.is_insecure(domain)),
                                 headers={"User-Agent": USER_AGENT},
                                 limits=httpx.Limits(max_connections=16, max_keepalive_connections=8))
        self._tokens: dict[str, str] = {}
        self._basic = False
        self._lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- auth -----------------------------------------------------------------------------
    def _auth_header(self, scope: str) -> dict:
        with self._lock:
            if scope in self._tokens:
                return {"Authorization": f"Bearer {self._tokens[scope]}"}
            if self._basic and self.credentials:
                pair = f"{self.credentials.username}:{self.credentials.password}".encode()
                return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        return {}

    def _authenticate(self, resp: httpx.Response, scope: str) -> bool:
        header = resp.headers.get("www-authenticate", "")
        scheme, params = parse_challenge(header)
        if scheme == "basic":
            if not self.credentials or self._basic:
                return False
            self._basic = True
            return True
        if scheme != "bearer" or "realm" not in params:
            return False
        query = {"service": params.get("service", "")}
        query["scope"] = params.get("scope") or scope
        auth = None
        if self.credentials and self.credentials.username:
            auth = (self.credentials.username, self.credentials.password)
        try:
            if self.credentials and self.credentials.identity_token:     # OAuth2 refresh token
                tok = self.http.post(params["realm"], data={
                    "grant_type": "refresh_token", "refresh_token": self.credentials.identity_token,
                    "client_id": "pycompose", **{k: v for k, v in query.items() if v}})
            else:
                tok = self.http.get(params["realm"], params={k: v for k, v in query.items() if v}, auth=auth)
        except httpx.HTTPError as e:
            raise RegistryError(f"cannot get a token from {params['realm']}: {e}") from None
        if tok.status_code != 200:
            raise registry_error(tok, f"token request to {params['realm']} failed")
        body = tok.json()
        token = body.get("token") or body.get("access_token")
        if not token:
            raise RegistryError(f"token server {params['realm']} returned no token")
        with self._lock:
            self._tokens[scope] = token
        return True

    # --- requests ---------------------------------------------------------------------------
    def scope(self, push: bool = False, repository: Optional[str] = None) -> str:
        return f"repository:{repository or self.repository}:{'pull,push' if push else 'pull'}"

    def request(self, method: str, path: str, *, push: bool = False, stream: bool = False,
                ok: tuple[int, ...] = (200,), what: str = "", **kwargs) -> httpx.Response:
        """Send a request with auth; returns the response (still open when ``stream``)."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        scope = self.scope(push)
        what = what or f"{method} {self.domain}/{self.repository}"
        for attempt in range(2):
            headers = dict(kwargs.pop("headers", {}) or {})
            headers.update(self._auth_header(scope))
            try:
                req = self.http.build_request(method, url, headers=headers, **kwargs)
                resp = self.http.send(req, stream=stream)
            except httpx.ConnectError as e:
                raise RegistryError(f"cannot reach registry {self.domain} ({self.base_url}): "
                                    f"{_reason(e)}") from None
            except httpx.TimeoutException:
                raise RegistryError(f"registry {self.domain} timed out") from None
            except httpx.HTTPError as e:
                raise RegistryError(f"talking to registry {self.domain} failed: {e}") from None
            if resp.status_code == 401 and attempt == 0:
                resp.read() if stream else None
                resp.close()
                kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                if self._authenticate(resp, scope):
                    continue
                raise registry_error(resp, what)
            if resp.status_code not in ok:
                if stream:
                    resp.read()
                    resp.close()
                raise registry_error(resp, what)
            return resp
        raise registry_error(resp, what)

    def blob_exists(self, digest: str) -> bool:
        resp = self.request("HEAD", f"/v2/{self.repository}/blobs/{digest}", push=True, ok=(200, 404))
        return resp.status_code == 200


def _reason(e: Exception) -> str:
    text = str(e)
    if "Connection refused" in text or "ECONNREFUSED" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "no such host"
    return text or type(e).__name__
