"""What callers of the analysis need without its numerical stack (NumPy, SciPy, Praat,
FFmpeg): the sample rate, the errors, the weights. The API process imports only this
until it decodes or analyses something (see the package's lazy names)."""

from __future__ import annotations

from dataclasses import dataclass

SAMPLE_RATE = 16_000
FRAME = 0.010  # seconds: one analysis frame (hop) everywhere


class AudioError(ValueError):
    """The input is not audio we can read."""


class AudioTooLongError(AudioError):
    """The audio runs past the duration limit it was decoded with."""


class NoSpeechError(ValueError):
    """The audio holds no speech to score (silence, noise, too short)."""


@dataclass(frozen=True)
class Weights:
    pronunciation: float = 0.4
    intonation: float = 0.25
    emotion: float = 0.15
    timing: float = 0.2
