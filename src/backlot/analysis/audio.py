"""Decoding any accepted format to mono 16 kHz float samples, and the clean-up every
analysis starts with: trim leading and trailing silence, normalise loudness."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np
from numpy.typing import NDArray

from backlot.analysis.base import (
    FRAME,
    SAMPLE_RATE,
    AudioError,
    AudioTooLongError,
    NoSpeechError,
)

__all__ = ["FRAME", "SAMPLE_RATE", "AudioError", "AudioTooLongError", "NoSpeechError"]
Samples = NDArray[np.float32]


def decode(source: str | Path | bytes | BinaryIO, max_seconds: float | None = None) -> Samples:
    """Mono float32 samples at 16 kHz from wav, mp3, m4a/aac, ogg/opus, webm/opus, flac...

    FFmpeg (bundled with PyAV) judges the format by the bytes. With `max_seconds`, a longer
    input is refused (AudioTooLongError) as soon as decoding passes that point.
    """
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        with av.open(source, mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioError("no audio stream")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            chunks: list[NDArray[np.float32]] = []
            total = 0
            limit = None if max_seconds is None else int(max_seconds * SAMPLE_RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                    chunks.append(chunk)
                    total += chunk.size
                if limit is not None and total > limit:
                    raise AudioTooLongError(f"longer than {max_seconds:g} s")
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))
    except AudioError:
        raise
    except (av.FFmpegError, ValueError, OSError, IndexError) as exc:
        raise AudioError(f"unreadable audio ({type(exc).__name__})") from exc
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    if limit is not None and samples.size > limit:
        raise AudioTooLongError(f"longer than {max_seconds:g} s")
    if samples.size == 0:
        raise AudioError("no audio samples")
    return samples


def frame_energy_db(samples: Samples, frame: int = int(FRAME * SAMPLE_RATE)) -> NDArray[np.float64]:
    """Loudness of each 10 ms frame, in dB relative to full scale."""
    count = max(1, samples.size // frame)
    frames = samples[: count * frame].reshape(count, frame).astype(np.float64)
    rms = np.sqrt(np.mean(frames**2, axis=1) + 1e-12)
    return np.asarray(20 * np.log10(rms + 1e-9))


def trim_silence(samples: Samples, floor_db: float = 35.0, pad: float = 0.05) -> Samples:
    """Cut what is quieter than the loudest part by more than `floor_db` at both ends."""
    energy = frame_energy_db(samples)
    if energy.size == 0:
        return samples
    loud = np.nonzero(energy > energy.max() - floor_db)[0]
    frame = int(FRAME * SAMPLE_RATE)
    start = max(0, (loud[0] - int(pad / FRAME)) * frame)
    end = min(samples.size, (loud[-1] + 1 + int(pad / FRAME)) * frame)
    return samples[start:end]


def normalise(samples: Samples, target_db: float = -20.0) -> Samples:
    """Scale to `target_db` RMS over the loud frames (so quiet pauses do not count)."""
    energy = frame_energy_db(samples)
    loud = energy[energy > energy.max() - 20] if energy.size else energy
    level = float(np.mean(loud)) if loud.size else -120.0
    gain = 10 ** ((target_db - level) / 20)
    return np.asarray(np.clip(samples * gain, -1.0, 1.0), dtype=np.float32)


def prepare(samples: Samples, min_seconds: float = 0.25) -> Samples:
    """Trimmed and normalised speech; NoSpeechError when nothing is left."""
    if samples.size == 0 or float(np.max(np.abs(samples))) < 1e-4:
        raise NoSpeechError("the recording is silent")
    trimmed = trim_silence(samples)
    if trimmed.size < min_seconds * SAMPLE_RATE:
        raise NoSpeechError("the recording holds less than a quarter second of sound")
    return normalise(trimmed)
