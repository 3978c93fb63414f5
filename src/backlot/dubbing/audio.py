"""Receiving audio (a line's reference, or an attempt): judged by its bytes, decoded once
to check it really is audio within the duration limit, then streamed to the store.
A refused file leaves nothing behind."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.datastructures import UploadFile

from backlot import analysis
from backlot.analysis import SAMPLE_RATE, AudioError, AudioTooLongError
from backlot.core.errors import ProblemError
from backlot.core.settings import Settings
from backlot.core.sniff import AUDIO_TYPES, SNIFF_BYTES, sniff
from backlot.core.storage import ObjectInfo, ObjectStore
from backlot.core.uploads import store_upload, unsupported


@dataclass(frozen=True)
class ReceivedAudio:
    content: ObjectInfo  # the stored object
    seconds: float  # the audio's length


async def receive_audio(
    store: ObjectStore, *, settings: Settings, upload: UploadFile, key: str
) -> ReceivedAudio:
    head = await upload.read(SNIFF_BYTES)
    if not head:
        raise ProblemError(422, "empty_file", "The uploaded file is empty.")
    if sniff(head) not in AUDIO_TYPES:
        raise unsupported(AUDIO_TYPES)
    await upload.seek(0)
    limit = settings.dubbing_max_audio_seconds
    try:
        # Starlette spooled the upload to a file: decode it from there, off the loop.
        # (The first decode loads the decoder: the API process does not until needed.)
        samples = await asyncio.to_thread(analysis.decode, upload.file, limit)
    except AudioTooLongError as exc:
        raise ProblemError(
            422,
            "audio_too_long",
            f"The recording is longer than {limit:g} s.",
            max_seconds=limit,
        ) from exc
    except AudioError as exc:
        raise ProblemError(
            # The decoder's own words may name the spooled file's path: not for clients.
            422,
            "unreadable_audio",
            "The file could not be decoded as audio.",
        ) from exc
    await upload.seek(0)
    content = await store_upload(
        store, key, upload, allowed=AUDIO_TYPES, max_bytes=settings.dubbing_max_upload_bytes
    )
    return ReceivedAudio(content, samples.size / SAMPLE_RATE)
