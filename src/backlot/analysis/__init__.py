"""Scoring a spoken attempt against a reference recording: pure functions on arrays.

No web imports: the dubbing app calls `analyze` from a worker, the benchmark and the tests
call it directly. The method and its limits are in docs/analysis.md.
"""

from backlot.analysis.audio import (
    SAMPLE_RATE,
    AudioError,
    AudioTooLongError,
    NoSpeechError,
    decode,
    prepare,
)
from backlot.analysis.scoring import Analysis, Weights, analyze

__all__ = [
    "SAMPLE_RATE",
    "Analysis",
    "AudioError",
    "AudioTooLongError",
    "NoSpeechError",
    "Weights",
    "analyze",
    "decode",
    "prepare",
]
