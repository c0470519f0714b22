"""Registry settings and credentials.

Settings come from a JSON file with Docker's daemon.json keys (default
``/etc/pycompose/daemon.json``, or ``$PYCOMPOSE_DAEMON_CONFIG``):

    {"registry-mirrors": ["https://mirror.example.com"],
     "insecure-registries": ["registry.internal:5000", "10.0.0.0/8"]}

Mirrors are tried (in order) for docker.io names before Docker Hub itself. Plain HTTP is used
for localhost / 127.0.0.0/8 / ::1 and the insecure registries; HTTPS otherwise.

Credentials come from ``$DOCKER_CONFIG/config.json`` (default ``~/.docker/config.json``):
``{"auths": {"<host>": {"auth": base64("user:password")}}}`` (or "username"/"password",
or "identitytoken"); Docker Hub's key is ``https://index.docker.io/v1/``. ``credHelpers`` /
``credsStore`` run ``docker-credential-<name> get`` like the docker CLI.
"""
from __future__ import annotations

import base64
import ipaddress
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"
DEFAULT_SETTINGS = "/etc/pycompose/daemon.json"


@dataclass(frozen=True)
class Credentials:
    username: str = ""
    password: str = ""
    identity_token: str = ""


@dataclass
class RegistrySettings:
    mirrors: list[str] = field(default_factory=list)
    insecure: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Optional[str] = None) -> "RegistrySettings":
        path = path or os.environ.get("PYCOMPOSE_DAEMON_CONFIG") or DEFAULT_SETTINGS
        try:
            doc = json.loads(Path(path).read_text())
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as e:
            from ..errors import InvalidArgument
            raise InvalidArgument(f"cannot read registry settings {path}: {e}") from None
        return cls(list(doc.get("registry-mirrors") or []), list(doc.get("insecure-registries") or []))

    def is_insecure(self, host: str) -> bool:
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        hostname = hostname.strip("[]")
        if hostname == "localhost":
            return True
        try:
            addr = ipaddress.ip_address(hostname)
            if addr.is_loopback:
                return True
        except ValueError:
            addr = None
        for entry in self.insecure:
            if entry == host or entry == hostname:
                return True
            if addr is not None and "/" in entry:
                try:
                    if addr in ipaddress.ip_network(entry, strict=False):
                        return True
                except ValueError:
                    continue
        return False

    def endpoints(self, domain: str) -> list[str]:
        """Base URLs to try for a reference's domain (mirrors first for docker.io)."""
        if domain == DOCKER_HUB:
            return [m.rstrip("/") for m in self.mirrors] + [f"https://{DOCKER_HUB_API}"]
        if not self.is_insecure(domain):
            return [f"https://{domain}"]
        if self._is_loopback(domain):
            return [f"http://{domain}"]
        return [f"https://{domain}", f"http://{domain}"]      # like docker: TLS first, unverified

    @staticmethod
    def _is_loopback(host: str) -> bool:
        hostname = host.rsplit(":", 1)[0].strip("[]") if not host.endswith("]") else host.strip("[]")
        if hostname == "localhost":
            return True
        try:
            return ipaddress.ip_address(hostname).is_loopback
        except ValueError:
            return False


def docker_config_path() -> Path:
    base = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return Path(base) / "config.json"


def _from_helper(helper: str, server: str) -> Optional[Credentials]:
    """Ask ``docker-credential-<helper> get`` (Docker's credential helper protocol)."""
    import subprocess
    try:
        out = subprocess.run([f"docker-credential-{helper}", "get"], input=server.encode(),
                             capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    try:
        doc = json.loads(out.stdout)
    except ValueError:
        return None
    user, secret = doc.get("Username", ""), doc.get("Secret", "")
    if user == "<token>":
        return Credentials(identity_token=secret)
    return Credentials(user, secret) if user or secret else None


def credentials_for(domain: str) -> Optional[Credentials]:
    try:
        doc = json.loads(docker_config_path().read_text())
    except (OSError, ValueError):
        return None
    server = DOCKER_HUB_AUTH_KEY if domain == DOCKER_HUB else domain
    helper = (doc.get("credHelpers") or {}).get(server) or (doc.get("credHelpers") or {}).get(domain)
    if helper:
        return _from_helper(helper, server)
    auths = doc.get("auths") or {}
    keys = [domain, f"https://{domain}", f"http://{domain}", f"https://{domain}/v1/",
            f"https://{domain}/v2/"]
    if domain == DOCKER_HUB:
        keys = [DOCKER_HUB_AUTH_KEY, "index.docker.io", DOCKER_HUB_API, "docker.io"] + keys
    for key in keys:
        entry = auths.get(key)
        if not entry:
            continue
        if entry.get("auth"):
            try:
                user, _, pw = base64.b64decode(entry["auth"]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                continue
            return Credentials(user, pw, entry.get("identitytoken", ""))
        if entry.get("username") or entry.get("identitytoken"):
            return Credentials(entry.get("username", ""), entry.get("password", ""),
                               entry.get("identitytoken", ""))
    if doc.get("credsStore"):
        return _from_helper(doc["credsStore"], server)
    return None
