"""The demo's media: images and a video drawn here (numpy, encoded by PyAV's FFmpeg),
and short recordings of synthetic voices kept beside this module (copies of the
analysis tests' voices, made with espeak-ng by tests/analysis/make_fixtures.sh)."""

from __future__ import annotations

import io
from importlib.resources import files

import av
import numpy as np

COLOURS = np.array(
    [(230, 57, 70), (42, 157, 143), (233, 196, 106), (38, 70, 83), (244, 162, 97), (69, 123, 157)],
    dtype=np.uint8,
)
BARS = np.array(
    [(192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0), (192, 0, 192), (192, 0, 0)],
    dtype=np.uint8,
)


def recording(name: str) -> bytes:
    """One of the committed recordings (`line_low.ogg`, ...)."""
    return (files("backlot.demo_data") / name).read_bytes()


def shape_image(index: int) -> tuple[str, bytes]:
    """A 320x240 PNG: a gradient and one shape (circle or square) placed at random."""
    rng = np.random.default_rng(index)
    height, width = 240, 320
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[..., 0] = x * 255 // width
    pixels[..., 1] = y * 255 // height
    pixels[..., 2] = 64 + 16 * (index % 8)
    cx, cy, r = rng.integers(60, width - 60), rng.integers(60, height - 60), rng.integers(20, 50)
    circle = index % 2 == 0
    mask = (
        (x - cx) ** 2 + (y - cy) ** 2 <= r * r
        if circle
        else (abs(x - cx) <= r) & (abs(y - cy) <= r)
    )
    pixels[mask] = COLOURS[index % len(COLOURS)]
    codec = av.VideoCodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "rgb24"
    frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
    data = b"".join(bytes(p) for p in [*codec.encode(frame), *codec.encode(None)])
    return f"{'circle' if circle else 'square'}-{index + 1:02d}.png", data


def colour_bars(seconds: int = 4, fps: int = 24) -> bytes:
    """An H.264 MP4 of colour bars sliding sideways."""
    height, width = 180, 320
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps, options={"preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        columns = np.arange(width)
        for index in range(seconds * fps):
            row = BARS[((columns + 4 * index) * len(BARS) // width) % len(BARS)]
            pixels = np.ascontiguousarray(np.broadcast_to(row, (height, width, 3)))
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode(None))
    return buffer.getvalue()
