"""The built-in analyzer's speed: CPU seconds per second of audio (real-time factor) on
2, 5 and 15 s clips, against decoding the same clip (the baseline: work every analyzer
must do).

    .venv/bin/python -m bench.analysis [--rounds 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
import wave

import numpy as np
from tests.analysis.voices import stretched, voice

from backlot.analysis import SAMPLE_RATE, analyze, decode


def _clip(seconds: float) -> np.ndarray:
    line = voice("line_low")
    repeated = np.tile(line, int(np.ceil(seconds * SAMPLE_RATE / line.size)))
    return repeated[: int(seconds * SAMPLE_RATE)]


def _wav(samples: np.ndarray) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(SAMPLE_RATE)
        file.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def _cpu(action: object, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.process_time()
        action()  # type: ignore[operator]
        times.append(time.process_time() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"\nCPU seconds per audio second (median of {args.rounds}), one core")
    print(f"{'clip':>6} {'decode':>9} {'analyze':>9} {'analyze/decode':>15}")
    for seconds in (2.0, 5.0, 15.0):
        reference = _clip(seconds)
        attempt = stretched(reference, 1.1)
        encoded = _wav(attempt)
        decoding = _cpu(lambda encoded=encoded: decode(encoded), args.rounds) / seconds
        scoring = (
            _cpu(lambda r=reference, a=attempt: analyze(r, a, "the quick brown fox"), args.rounds)
            / seconds
        )
        print(f"{seconds:>5.0f}s {decoding:>9.4f} {scoring:>9.4f} {scoring / decoding:>14.0f}x")


if __name__ == "__main__":
    main()
