"""One contract, every object store backend (local directory and real S3: SeaweedFS)."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from backlot.core.storage import (
    ObjectNotFoundError,
    ObjectStore,
    ObjectTooLargeError,
    build_object_store,
    check_key,
)
from tests.conftest import needs_s3
from tests.s3 import S3Server

MB = 1024 * 1024


@pytest.fixture(params=["local", pytest.param("s3", marks=needs_s3)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ObjectStore]:
    if request.param == "local":
        made = build_object_store(str(tmp_path / "objects"))
    else:
        server: S3Server = request.getfixturevalue("s3_server")
        made = build_object_store(
            f"s3://{server.bucket}/t-{uuid.uuid4().hex[:10]}",
            s3_endpoint=server.endpoint,
            s3_access_key_id=server.access_key,
            s3_secret_access_key=server.secret_key,
        )
    yield made
    await made.close()


async def _chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def _failing(data: bytes) -> AsyncIterator[bytes]:
    async for chunk in _chunks(data):
        yield chunk
    raise ConnectionResetError("client went away mid-upload")


async def _read(store: ObjectStore, key: str, start: int = 0, end: int | None = None) -> bytes:
    reader = await store.open(key, start, end)
    return b"".join([chunk async for chunk in reader])


async def test_put_stat_and_read_back(store: ObjectStore) -> None:
    data = os.urandom(300_000)
    info = await store.put("a/b/c.bin", _chunks(data), content_type="image/png")
    assert info.size == len(data)
    assert info.content_type == "image/png"
    assert info.etag.startswith('"') and info.etag.endswith('"')
    assert info.modified.tzinfo is not None
    assert await store.stat("a/b/c.bin") == info
    assert await _read(store, "a/b/c.bin") == data


async def test_ranges(store: ObjectStore) -> None:
    data = bytes(range(256)) * 40
    await store.put("r.bin", _chunks(data, 1000))
    assert await _read(store, "r.bin", 0, 10) == data[:10]
    assert await _read(store, "r.bin", 5000, 5100) == data[5000:5100]
    assert await _read(store, "r.bin", len(data) - 7) == data[-7:]
    assert await _read(store, "r.bin", 10, len(data) + 999) == data[10:]  # end clamped
    reader = await store.open("r.bin", 100, 200)
    assert (reader.start, reader.end, reader.info.size) == (100, 200, len(data))
    await reader.aclose()


async def test_empty_object(store: ObjectStore) -> None:
    info = await store.put("empty", _chunks(b""))
    assert info.size == 0
    assert await _read(store, "empty") == b""


async def test_large_object_streams_in_parts(store: ObjectStore) -> None:
    """Bigger than one multipart part (8 MB): uploaded and read back in pieces."""
    block = hashlib.sha256(b"seed").digest() * 32768  # 1 MiB, not all zeros
    data = b"".join(block[i:] + block[:i] for i in range(20))  # 20 MiB
    info = await store.put("big.bin", _chunks(data, MB))
    assert info.size == 20 * MB
    middle = await _read(store, "big.bin", 9 * MB + 5, 11 * MB)
    assert middle == data[9 * MB + 5 : 11 * MB]
    digest = hashlib.sha256()
    async for chunk in await store.open("big.bin"):
        assert len(chunk) <= 16 * MB
        digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()


async def test_replacing_changes_bytes_and_etag(store: ObjectStore) -> None:
    first = await store.put("x", _chunks(b"one"), content_type="text/plain")
    second = await store.put("x", _chunks(b"two!"), content_type="text/csv")
    assert second.etag != first.etag
    assert (second.size, second.content_type) == (4, "text/csv")
    assert await _read(store, "x") == b"two!"


async def test_over_the_limit_leaves_nothing_behind(store: ObjectStore) -> None:
    with pytest.raises(ObjectTooLargeError):
        await store.put("too-big", _chunks(os.urandom(3 * MB)), max_bytes=2 * MB)
    with pytest.raises(ObjectNotFoundError):
        await store.stat("too-big")
    kept = await store.put("kept", _chunks(b"old bytes"))
    with pytest.raises(ObjectTooLargeError):
        await store.put("kept", _chunks(os.urandom(10 * MB)), max_bytes=9 * MB)
    assert await store.stat("kept") == kept
    assert await _read(store, "kept") == b"old bytes"


async def test_a_failed_stream_leaves_nothing_behind(store: ObjectStore) -> None:
    with pytest.raises(Exception, match="went away"):
        await store.put("broken", _failing(os.urandom(9 * MB)))
    with pytest.raises(ObjectNotFoundError):
        await store.stat("broken")


async def test_delete_and_missing_objects(store: ObjectStore) -> None:
    await store.put("d", _chunks(b"bye"))
    await store.delete("d")
    await store.delete("d")  # idempotent
    with pytest.raises(ObjectNotFoundError):
        await store.stat("d")
    with pytest.raises(ObjectNotFoundError):
        await store.open("d")
    with pytest.raises(ObjectNotFoundError):
        await store.open("never/was")


@pytest.mark.parametrize(
    "key",
    ["", "/abs", "../up", "a/../b", "a//b", "a/./b", ".", "..", "a/", "nul\x00", "sp ace", "é"],
)
async def test_unsafe_keys_are_refused(store: ObjectStore, key: str) -> None:
    with pytest.raises(ValueError, match="not a valid object key"):
        check_key(key)
    with pytest.raises(ValueError, match="not a valid object key"):
        await store.put(key, _chunks(b"x"))
    with pytest.raises(ValueError, match="not a valid object key"):
        await store.stat(key)


async def test_presigned_get_where_the_backend_has_it(store: ObjectStore) -> None:
    await store.put("signed.txt", _chunks(b"hello"), content_type="text/plain")
    url = await store.presigned_get("signed.txt", timedelta(minutes=5))
    if url is None:  # the local directory has no URLs of its own: the app streams
        return
    async with httpx.AsyncClient() as http:
        fetched = await http.get(url)
        assert fetched.status_code == 200
        assert fetched.content == b"hello"
        tampered = await http.get(url.replace("signed.txt", "other.txt"))
        assert tampered.status_code in (403, 404)
