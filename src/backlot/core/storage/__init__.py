"""The object store port and its backends; `build_object_store` picks one at startup."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from backlot.core.storage.base import (
    DEFAULT_CONTENT_TYPE,
    ObjectInfo,
    ObjectNotFoundError,
    ObjectReader,
    ObjectStore,
    ObjectTooLargeError,
    check_key,
    read_all,
)

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "ObjectInfo",
    "ObjectNotFoundError",
    "ObjectReader",
    "ObjectStore",
    "ObjectTooLargeError",
    "build_object_store",
    "check_key",
    "read_all",
]


def build_object_store(
    url: str,
    *,
    s3_endpoint: str | None = None,
    s3_region: str = "us-east-1",
    s3_access_key_id: str | None = None,
    s3_secret_access_key: str | None = None,
) -> ObjectStore:
    """The store at `url`: `s3://bucket/prefix` (with its endpoint and credentials), or a
    local directory (a path or `file://` URL)."""
    parts = urlsplit(url)
    match parts.scheme:
        case "s3":
            from backlot.core.storage.s3 import S3ObjectStore  # only the scaled shape needs it

            return S3ObjectStore(
                parts.netloc,
                prefix=parts.path,
                endpoint=s3_endpoint,
                region=s3_region,
                access_key_id=s3_access_key_id,
                secret_access_key=s3_secret_access_key,
            )
        case "file" | "":
            from backlot.core.storage.local import LocalObjectStore

            return LocalObjectStore(Path(parts.path if parts.scheme else url))
        case other:
            raise ValueError(f"BACKLOT_STORAGE_URL: unknown scheme {other!r} (use a path or s3://)")
