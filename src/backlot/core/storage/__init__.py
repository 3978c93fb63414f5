"""The object store port and its backends; `build_object_store` picks one at startup."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from backlot.core.settings import Settings
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


def build_object_store(settings: Settings) -> ObjectStore:
    url = settings.storage_url or str(settings.var_dir / "objects")
    parts = urlsplit(url)
    match parts.scheme:
        case "s3":
            from backlot.core.storage.s3 import S3ObjectStore  # only the scaled shape needs it

            secret = settings.s3_secret_access_key
            return S3ObjectStore(
                parts.netloc,
                prefix=parts.path,
                endpoint=settings.s3_endpoint_url,
                region=settings.s3_region,
                access_key_id=settings.s3_access_key_id,
                secret_access_key=secret.get_secret_value() if secret else None,
            )
        case "file" | "":
            from backlot.core.storage.local import LocalObjectStore

            return LocalObjectStore(Path(parts.path if parts.scheme else url))
        case other:
            raise ValueError(f"BACKLOT_STORAGE_URL: unknown scheme {other!r} (use a path or s3://)")
