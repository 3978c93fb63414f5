"""A poster frame and the duration of an uploaded video, read with PyAV at upload.

The poster is the first decodable video frame, scaled to fit POSTER_WIDTH and encoded
as JPEG by FFmpeg's own MJPEG encoder (no imaging library needed). Audio-only files have
a duration but no poster. Reading is bounded like the playability probe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

import anyio

if TYPE_CHECKING:
    import av  # imported where FFmpeg is used: the API process loads it on a first upload

from backlot.videos.probe import MAX_PACKETS, PROBE_OPTIONS, READ_BUDGET, _ReadBudget

POSTER_WIDTH = 320


@dataclass(frozen=True)
class Preview:
    duration_seconds: float | None
    poster_jpeg: bytes | None


def _jpeg(frame: av.VideoFrame) -> bytes:
    import av

    width = min(POSTER_WIDTH, frame.width)
    # Even sizes: 4:2:0 chroma needs them.
    width -= width % 2
    height = max(2, round(frame.height * width / frame.width / 2) * 2)
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height = width, height
    codec.pix_fmt = "yuvj420p"
    codec.time_base = frame.time_base or codec.time_base
    scaled = frame.reformat(width=width, height=height, format="yuvj420p")
    scaled.pts = None
    packets = [*codec.encode(scaled), *codec.encode(None)]
    return b"".join(bytes(packet) for packet in packets)


def _duration(container: av.container.InputContainer) -> float | None:
    import av

    if container.duration is not None and container.duration > 0:
        return float(container.duration / av.time_base)
    for stream in (*container.streams.video, *container.streams.audio):
        if stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
    return None


def _preview(file: BinaryIO) -> Preview:
    import av

    file.seek(0)
    try:
        with av.open(_ReadBudget(file, READ_BUDGET), "r", options=PROBE_OPTIONS) as container:
            duration = _duration(container)
            poster = None
            if container.streams.video:
                stream = container.streams.video[0]
                for count, frame in enumerate(container.decode(stream)):
                    poster = _jpeg(frame)
                    if poster or count >= MAX_PACKETS:
                        break
            return Preview(duration, poster or None)
    except (av.error.FFmpegError, ValueError, UnicodeDecodeError):
        # Already judged playable: a file FFmpeg cannot preview simply has no poster.
        return Preview(None, None)
    finally:
        file.seek(0)


async def preview(file: BinaryIO) -> Preview:
    return await anyio.to_thread.run_sync(_preview, file)
