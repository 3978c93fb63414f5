"""Scoring a spoken attempt against a reference recording: pure functions on arrays.

No web imports: the dubbing app calls `analyze` from a worker, the benchmark and the tests
call it directly. The method and its limits are in docs/analysis.md.

The numerical stack (NumPy, SciPy, Praat, FFmpeg: over 100 MB resident) loads on the
first use of `decode`, `prepare`, `analyze` or `Analysis`, not on `import`: the API
process only decodes an upload now and then, and analyses in its worker processes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from backlot.analysis.base import (
    SAMPLE_RATE,
    AudioError,
    AudioTooLongError,
    NoSpeechError,
    Weights,
)

if TYPE_CHECKING:
    from backlot.analysis.audio import decode, prepare
    from backlot.analysis.scoring import Analysis, analyze

_LAZY = {
    "decode": "backlot.analysis.audio",
    "prepare": "backlot.analysis.audio",
    "analyze": "backlot.analysis.scoring",
    "Analysis": "backlot.analysis.scoring",
}

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
