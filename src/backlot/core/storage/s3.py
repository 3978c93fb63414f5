"""Objects in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, R2): the scaled shape.

Through obstore (Rust's object_store): streamed multipart uploads, ranged streamed
reads, presigned GET URLs. An upload that fails or runs past its limit is aborted, so
no part of it becomes visible.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import obstore
from obstore.store import S3Store

from backlot.core.storage.base import (
    DEFAULT_CONTENT_TYPE,
    ObjectInfo,
    ObjectNotFoundError,
    ObjectTooLargeError,
    check_key,
    limited,
)

if TYPE_CHECKING:
    from obstore import GetResult
    from obstore.store import ClientConfig

CHUNK = 256 * 1024
PART = 8 * 1024 * 1024


def _info(key: str, result: GetResult) -> ObjectInfo:
    meta = result.meta
    content_type = result.attributes.get("Content-Type")
    return ObjectInfo(
        key=key,
        size=meta["size"],
        etag=meta["e_tag"] or f'"{meta["size"]:x}-{int(meta["last_modified"].timestamp()):x}"',
        content_type=str(content_type) if content_type else DEFAULT_CONTENT_TYPE,
        modified=meta["last_modified"],
    )


class S3ObjectReader:
    def __init__(self, result: GetResult | None, info: ObjectInfo, start: int, end: int) -> None:
        self._result = result
        self.info, self.start, self.end = info, start, end

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._result is None:
            return
        async for chunk in self._result.stream(min_chunk_size=CHUNK):
            yield bytes(chunk)

    async def aclose(self) -> None:
        self._result = None  # dropping the stream closes its connection


class S3ObjectStore:
    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        options: dict[str, Any] = {"region": region}
        if endpoint:
            options["endpoint"] = endpoint
            options["virtual_hosted_style_request"] = False
        if access_key_id and secret_access_key:
            options["access_key_id"] = access_key_id
            options["secret_access_key"] = secret_access_key
        client: ClientConfig = {}
        if endpoint and endpoint.startswith("http://"):
            client["allow_http"] = True  # a local S3 server (SeaweedFS, MinIO) without TLS
        self._store = S3Store(bucket, client_options=client, **options)
        self._prefix = f"{check_key(prefix.strip('/'))}/" if prefix.strip("/") else ""

    def _path(self, key: str) -> str:
        return self._prefix + check_key(key)

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        max_bytes: int | None = None,
    ) -> ObjectInfo:
        over_limit = False

        async def stream() -> AsyncIterator[bytes]:
            nonlocal over_limit
            try:
                async for chunk in limited(chunks, max_bytes):
                    yield chunk
            except ObjectTooLargeError:
                over_limit = True
                raise

        try:
            await obstore.put_async(
                self._store,
                self._path(key),
                stream(),
                attributes={"Content-Type": content_type},
                chunk_size=PART,
                max_concurrency=4,
            )
        except Exception as exc:
            # obstore aborts the upload and re-raises our error in its own wrapping.
            if over_limit and max_bytes is not None:
                raise ObjectTooLargeError(max_bytes) from exc
            raise
        return await self.stat(key)

    async def stat(self, key: str) -> ObjectInfo:
        try:
            result = await obstore.get_async(self._store, self._path(key), options={"head": True})
        except FileNotFoundError as exc:
            raise ObjectNotFoundError(key) from exc
        return _info(key, result)

    async def open(self, key: str, start: int = 0, end: int | None = None) -> S3ObjectReader:
        info = await self.stat(key)
        stop = info.size if end is None else min(end, info.size)
        if stop <= start:
            return S3ObjectReader(None, info, start, start)
        # If-Match: if the object is replaced between stat and get, fail rather than mix.
        try:
            result = await obstore.get_async(
                self._store,
                self._path(key),
                options={"range": (start, stop), "if_match": info.etag},
            )
        except FileNotFoundError as exc:
            raise ObjectNotFoundError(key) from exc
        return S3ObjectReader(result, info, start, stop)

    async def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await obstore.delete_async(self._store, self._path(key))

    async def presigned_get(self, key: str, expires: timedelta) -> str | None:
        return str(await obstore.sign_async(self._store, "GET", self._path(key), expires))

    async def close(self) -> None:
        return None
