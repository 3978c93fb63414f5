"""Whether an uploaded file is media a player can play, judged by FFmpeg (PyAV) rather
than by its first bytes: a `ftyp` box followed by 2 GB of zeros sniffs as MP4 but holds
nothing to play.

The container is opened from the upload's spooled file (on disk past 1 MB), which FFmpeg
reads and seeks through in small buffers, so a large file is never whole in memory. A
file passes when it has a video or audio stream and the first of its packets decodes to
a frame. FFmpeg is bounded in how much it probes, how many packets it demuxes, and in
how many bytes it may read in all (a crafted index could declare one packet of 2 GB).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

import anyio

if TYPE_CHECKING:
    import av  # imported where FFmpeg is used: the API process loads it on a first upload

from backlot.core.errors import ProblemError

# How much FFmpeg may read to find the streams, and how many packets to demux for a
# first decoded frame: enough for any real file, little for a crafted one.
PROBE_OPTIONS = {"probesize": str(8 * 1024 * 1024), "analyzeduration": str(10_000_000)}
MAX_PACKETS = 500
READ_BUDGET = 64 * 1024 * 1024


class _ReadBudget:
    """The file as FFmpeg sees it: past `budget` bytes read, it looks like its end."""

    def __init__(self, file: BinaryIO, budget: int) -> None:
        self.file, self.left = file, budget

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.file.read(size)
        self.left -= len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()


def unplayable(detail: str) -> ProblemError:
    return ProblemError(422, "no_playable_stream", detail)


def _first_frame(file: BinaryIO) -> str | None:
    """None if a video or audio stream decodes, else why not."""
    import av

    file.seek(0)
    try:
        with av.open(_ReadBudget(file, READ_BUDGET), "r", options=PROBE_OPTIONS) as container:
            streams: list[av.VideoStream | av.AudioStream] = [
                *container.streams.video,
                *container.streams.audio,
            ]
            if not streams:
                return "The file has no video or audio stream."
            for count, packet in enumerate(container.demux(streams)):
                if count >= MAX_PACKETS:
                    break
                if packet.size and any(True for _ in packet.decode()):
                    return None
            # Decoders may hold frames back (threads, reordering): drain them.
            if any(any(True for _ in s.decode(None)) for s in streams):
                return None
            return "No frame of the file's streams could be decoded."
    except (av.error.FFmpegError, ValueError, UnicodeDecodeError) as exc:
        return f"The file cannot be read as media ({type(exc).__name__})."
    finally:
        file.seek(0)


async def check_playable(file: BinaryIO) -> None:
    """Return if `file` holds a playable video or audio stream, else a 422 problem."""
    why = await anyio.to_thread.run_sync(_first_frame, file)
    if why is not None:
        raise unplayable(why)
