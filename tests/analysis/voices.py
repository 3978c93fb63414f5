"""The committed voices, and variants of them made with Praat (through parselmouth)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import parselmouth
from parselmouth.praat import call

from backlot.analysis import SAMPLE_RATE, decode
from backlot.analysis.audio import Samples

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LINE = "The quick brown fox jumps over the lazy dog near the river bank."


def voice(name: str) -> Samples:
    return decode(FIXTURES / f"{name}.ogg")


def _sound(samples: Samples) -> parselmouth.Sound:
    return parselmouth.Sound(samples.astype(np.float64), sampling_frequency=SAMPLE_RATE)


def stretched(samples: Samples, factor: float) -> Samples:
    """The same speech `factor` times as long, pitch kept (overlap-add)."""
    out = call(_sound(samples), "Lengthen (overlap-add)", 60, 500, factor)
    return np.asarray(out.values[0], dtype=np.float32)


def monotone(samples: Samples) -> Samples:
    """The same speech on one flat pitch (the original's mean), resynthesised."""
    manipulation = call(_sound(samples), "To Manipulation", 0.01, 60, 500)
    tier = call(manipulation, "Extract pitch tier")
    mean = call(tier, "Get mean (curve)", 0, 0)
    call(tier, "Remove points between", 0, 1000)
    call(tier, "Add point", 0.5, mean)
    call([tier, manipulation], "Replace pitch tier")
    out = call(manipulation, "Get resynthesis (overlap-add)")
    return np.asarray(out.values[0], dtype=np.float32)


def noise(seconds: float, level: float = 0.1) -> Samples:
    rng = np.random.default_rng(7)
    return rng.normal(0, level, int(seconds * SAMPLE_RATE)).astype(np.float32)
