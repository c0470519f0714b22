"""Content-addressed blob store (see store.py)."""
from .store import ContentStore, IngestWriter, sha256_digest

__all__ = ["ContentStore", "IngestWriter", "sha256_digest"]
