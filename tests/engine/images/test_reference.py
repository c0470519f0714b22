"""Reference normalisation must match Docker's (distribution/reference) exactly."""
import pytest

from engine import reference
from engine.errors import ImageError

HEX = "a" * 64


@pytest.mark.parametrize("text,full,familiar", [
    ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
    ("library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("index.docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("user/app:v1", "docker.io/user/app:v1", "user/app:v1"),
    ("localhost/app", "localhost/app:latest", "localhost/app:latest"),
    ("localhost:5000/x", "localhost:5000/x:latest", "localhost:5000/x:latest"),
    ("127.0.0.1:5000/a/b/c:t", "127.0.0.1:5000/a/b/c:t", "127.0.0.1:5000/a/b/c:t"),
    ("ghcr.io/org/img", "ghcr.io/org/img:latest", "ghcr.io/org/img:latest"),
    (f"busybox@sha256:{HEX}", f"docker.io/library/busybox@sha256:{HEX}", f"busybox@sha256:{HEX}"),
    (f"busybox:1@sha256:{HEX}", f"docker.io/library/busybox:1@sha256:{HEX}", f"busybox:1@sha256:{HEX}"),
    ("a__b-c/e.f", "docker.io/a__b-c/e.f:latest", "a__b-c/e.f:latest"),
    ("[::1]:5000/img", "[::1]:5000/img:latest", "[::1]:5000/img:latest"),
])
def test_normalises_like_docker(text, full, familiar):
    ref = reference.parse(text)
    assert str(ref) == full
    assert ref.familiar == familiar


@pytest.mark.parametrize("text,message", [
    ("Busybox", "must be lowercase"),
    ("foo/Bar", "must be lowercase"),
    (HEX, "cannot specify 64-byte hexadecimal strings"),
    ("busybox:", "invalid reference format"),
    ("bu$ybox", "invalid reference format"),
    ("-busybox", "invalid reference format"),
    ("busybox:tag@sha256:abc", "invalid reference format"),
    ("a/" + "b" * 260, "must not be more than 255 characters"),
    ("", "invalid reference format"),
])
def test_rejects_invalid(text, message):
    with pytest.raises(ImageError, match=message):
        reference.parse(text)


def test_familiar_of_full_name():
    assert reference.familiar("docker.io/library/busybox:latest") == "busybox:latest"
    assert reference.familiar("docker.io/library/a/b:latest") == "library/a/b:latest"
