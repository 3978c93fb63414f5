"""Real small media for the videos tests, encoded with PyAV (FFmpeg's libraries, no
command line needed): noise frames so that a second of video is tens of kilobytes."""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

CODECS = {
    "mp4": ("libx264", "aac"),
    "webm": ("libvpx", "libopus"),
    "m4a": (None, "aac"),
}


def encode(
    out: Path,
    kind: str = "mp4",
    *,
    seconds: float = 1.0,
    size: tuple[int, int] = (96, 64),
    rate: int = 25,
    audio: bool = True,
) -> Path:
    """`seconds` of noise video (if `kind` has a video codec) and a 440 Hz tone."""
    video_codec, audio_codec = CODECS[kind]
    noise = np.random.default_rng(7)
    options = {"movflags": "+faststart"} if kind in ("mp4", "m4a") else {}
    with av.open(str(out), "w", format="mp4" if kind == "m4a" else kind, options=options) as box:
        # Every stream is added before the first packet: the header is written then.
        video = box.add_stream(video_codec, rate=rate) if video_codec else None
        sound = box.add_stream(audio_codec, rate=48000) if audio and audio_codec else None
        if video is not None:
            video.width, video.height = size
            video.pix_fmt = "yuv420p"
            for i in range(int(seconds * rate)):
                pixels = noise.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts = i
                box.mux(video.encode(frame))
            box.mux(video.encode())
        if sound is not None:
            _tone(box, sound, seconds)
    return out


def encoded(kind: str = "mp4", **options: object) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = encode(Path(folder) / f"clip.{kind}", kind, **options)  # type: ignore[arg-type]
        return path.read_bytes()


def _tone(box: av.container.OutputContainer, sound: av.AudioStream, seconds: float) -> None:
    sample_rate = sound.codec_context.sample_rate
    fmt = sound.codec_context.format.name
    step = sound.codec_context.frame_size or 960
    samples = int(seconds * sample_rate)
    tone = np.sin(2 * np.pi * 440 * np.arange(samples) / sample_rate) * 0.3
    tone = (tone * 32767).astype(np.int16) if fmt.startswith("s16") else tone.astype(np.float32)
    for start in range(0, samples - step + 1, step):
        frame = av.AudioFrame.from_ndarray(
            tone[start : start + step].reshape(1, -1), format=fmt, layout="mono"
        )
        frame.sample_rate = sample_rate
        frame.pts = start
        frame.time_base = Fraction(1, sample_rate)
        box.mux(sound.encode(frame))
    box.mux(sound.encode())
