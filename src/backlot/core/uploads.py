"""Receiving a multipart file into the object store: sniffed, size-limited, streamed.

Starlette spools an uploaded file to disk past 1 MB, so the body is never whole in
memory; from there it is streamed to the store in chunks. Nothing is stored when the
type or size is wrong.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.datastructures import UploadFile

from backlot.core.errors import ProblemError
from backlot.core.sniff import SNIFF_BYTES, sniff
from backlot.core.storage import ObjectInfo, ObjectStore, ObjectTooLargeError

CHUNK = 1024 * 1024


def unsupported(allowed: frozenset[str]) -> ProblemError:
    return ProblemError(
        415,
        "unsupported_media_type",
        "The file is none of the accepted kinds (judged by its content, not its name).",
        accepted=sorted(allowed),
    )


async def store_upload(
    store: ObjectStore,
    key: str,
    upload: UploadFile,
    *,
    allowed: frozenset[str],
    max_bytes: int,
) -> ObjectInfo:
    head = await upload.read(SNIFF_BYTES)
    if not head:
        raise ProblemError(422, "empty_file", "The uploaded file is empty.")
    content_type = sniff(head)
    if content_type is None or content_type not in allowed:
        raise unsupported(allowed)

    async def chunks() -> AsyncIterator[bytes]:
        yield head
        while chunk := await upload.read(CHUNK):
            yield chunk

    try:
        return await store.put(key, chunks(), content_type=content_type, max_bytes=max_bytes)
    except ObjectTooLargeError as exc:
        raise ProblemError(
            413,
            "payload_too_large",
            f"The file exceeds {max_bytes} bytes.",
            max_bytes=max_bytes,
        ) from exc
