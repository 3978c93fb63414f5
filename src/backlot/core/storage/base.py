"""The object store port: files (images, videos, audio) by key, streamed both ways.

Keys are made by the apps (`labeling/7/3f2a...`), never taken from user input: each
segment is a safe name (`check_key`), so no key can leave the store's root or bucket.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
MAX_KEY_LENGTH = 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class ObjectNotFoundError(LookupError):
    pass


class ObjectTooLargeError(ValueError):
    """The stream went past the size limit given to `put`; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"object larger than {limit} bytes")
        self.limit = limit


def check_key(key: str) -> str:
    segments = key.split("/")
    if (
        not key
        or len(key) > MAX_KEY_LENGTH
        or any(not _SEGMENT.fullmatch(s) or s.strip(".") == "" for s in segments)
    ):
        raise ValueError(f"not a valid object key: {key!r}")
    return key


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str  # quoted, as in an HTTP ETag header
    content_type: str
    modified: datetime


class ObjectReader(Protocol):
    """Bytes `start` to `end` (exclusive) of one object, as it was when opened."""

    info: ObjectInfo
    start: int
    end: int

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


class ObjectStore(Protocol):
    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        max_bytes: int | None = None,
    ) -> ObjectInfo:
        """Store the stream under `key`, replacing any object there, all or nothing:
        on an error or `ObjectTooLargeError` no part of it is visible."""
        ...

    async def stat(self, key: str) -> ObjectInfo: ...

    async def open(self, key: str, start: int = 0, end: int | None = None) -> ObjectReader:
        """A reader of `[start, end)` (end clamped to the size). Raises ObjectNotFoundError
        at once, so an HTTP response can still say 404."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; a missing one is not an error."""
        ...

    async def presigned_get(self, key: str, expires: timedelta) -> str | None:
        """A URL that lets anyone GET the object until `expires`, where the backend has
        such URLs (S3); None otherwise (the app streams the bytes itself)."""
        ...

    async def close(self) -> None: ...


async def limited(chunks: AsyncIterable[bytes], max_bytes: int | None) -> AsyncIterator[bytes]:
    """Pass chunks through, raising ObjectTooLargeError once more than `max_bytes` went by."""
    seen = 0
    async for chunk in chunks:
        seen += len(chunk)
        if max_bytes is not None and seen > max_bytes:
            raise ObjectTooLargeError(max_bytes)
        if chunk:
            yield chunk


async def read_all(store: ObjectStore, key: str) -> bytes:
    """A whole object in memory: for small ones only (audio clips under the upload limit)."""
    reader = await store.open(key)
    try:
        return b"".join([chunk async for chunk in reader])
    finally:
        await reader.aclose()
