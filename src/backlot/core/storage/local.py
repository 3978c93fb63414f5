"""Objects as files under one directory: the embedded shape's object store.

`<root>/data/<key>` holds the bytes and `<root>/meta/<key>.json` the content type and
ETag. A put writes a temporary file in `<root>/tmp` and renames it into place, so a
reader sees the old object or the new one, never a part; file I/O runs in threads.
A process that dies mid-put leaves its temporary file behind: `sweep_partial_uploads`
removes those not written to for a while (the app runs it at start and periodically).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import anyio

from backlot.core.storage.base import (
    DEFAULT_CONTENT_TYPE,
    ObjectInfo,
    ObjectNotFoundError,
    check_key,
    limited,
)

CHUNK = 256 * 1024
log = logging.getLogger("backlot.storage")


class LocalObjectReader:
    def __init__(self, file: BinaryIO, info: ObjectInfo, start: int, end: int) -> None:
        self._file = file
        self.info, self.start, self.end = info, start, end

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            left = self.end - self.start
            while left > 0:
                chunk = await anyio.to_thread.run_sync(self._file.read, min(CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        self._file.close()


class LocalObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        for part in ("data", "meta", "tmp"):
            (root / part).mkdir(parents=True, exist_ok=True)

    def _data(self, key: str) -> Path:
        return self.root / "data" / check_key(key)

    def _meta(self, key: str) -> Path:
        return self.root / "meta" / f"{check_key(key)}.json"

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        max_bytes: int | None = None,
    ) -> ObjectInfo:
        data, meta = self._data(key), self._meta(key)
        temp = self.root / "tmp" / uuid.uuid4().hex
        digest = hashlib.md5(usedforsecurity=False)  # an ETag, as S3 makes for one part
        try:
            async with await anyio.open_file(temp, "wb") as file:
                async for chunk in limited(chunks, max_bytes):
                    digest.update(chunk)
                    await file.write(chunk)
            etag = f'"{digest.hexdigest()}"'
            await anyio.to_thread.run_sync(self._install, temp, data, meta, etag, content_type)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        return await self.stat(key)

    @staticmethod
    def _install(temp: Path, data: Path, meta: Path, etag: str, content_type: str) -> None:
        data.parent.mkdir(parents=True, exist_ok=True)
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta_temp = temp.with_suffix(".json")
        meta_temp.write_text(json.dumps({"etag": etag, "content_type": content_type}))
        # Meta first: data without fresh meta could pair new bytes with an old ETag.
        os.replace(meta_temp, meta)
        os.replace(temp, data)

    async def stat(self, key: str) -> ObjectInfo:
        return await anyio.to_thread.run_sync(self._stat, key)

    def _stat(self, key: str) -> ObjectInfo:
        data = self._data(key)
        try:
            status = data.stat()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectNotFoundError(key) from exc
        try:
            meta = json.loads(self._meta(key).read_text())
        except (FileNotFoundError, NotADirectoryError, ValueError):
            meta = {}
        return ObjectInfo(
            key=key,
            size=status.st_size,
            etag=meta.get("etag") or f'"{status.st_size:x}-{status.st_mtime_ns:x}"',
            content_type=meta.get("content_type") or DEFAULT_CONTENT_TYPE,
            modified=datetime.fromtimestamp(status.st_mtime, UTC),
        )

    async def open(self, key: str, start: int = 0, end: int | None = None) -> LocalObjectReader:
        def opened() -> tuple[BinaryIO, ObjectInfo]:
            try:
                file = open(self._data(key), "rb")  # noqa: SIM115 - the reader closes it
            except (FileNotFoundError, NotADirectoryError) as exc:
                raise ObjectNotFoundError(key) from exc
            # Stat the open file: a put that renames a new file in place does not change
            # what this reader sees.
            info = self._stat(key)
            size = os.fstat(file.fileno()).st_size
            info = ObjectInfo(key, size, info.etag, info.content_type, info.modified)
            file.seek(start)
            return file, info

        file, info = await anyio.to_thread.run_sync(opened)
        stop = info.size if end is None else min(end, info.size)
        return LocalObjectReader(file, info, start, max(stop, start))

    async def delete(self, key: str) -> None:
        def remove() -> None:
            for path in (self._data(key), self._meta(key)):
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                    path.unlink()

        await anyio.to_thread.run_sync(remove)

    async def sweep_partial_uploads(self, older_than: timedelta, now: datetime) -> int:
        """Remove temporary files last written before `now - older_than`: what puts
        interrupted by a crash left. A put still running writes to its file and keeps
        it fresh. Returns how many were removed."""
        cutoff = (now - older_than).timestamp()

        def sweep() -> int:
            removed = 0
            for entry in os.scandir(self.root / "tmp"):
                with contextlib.suppress(FileNotFoundError):
                    if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
            return removed

        removed = await anyio.to_thread.run_sync(sweep)
        if removed:
            log.info("removed %d partial upload(s) from the object store's tmp", removed)
        return removed

    async def presigned_get(self, key: str, expires: timedelta) -> str | None:
        check_key(key)
        return None

    async def close(self) -> None:
        return None
