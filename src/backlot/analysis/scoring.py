"""The scores: pronunciation, intonation, emotion (expressive prosody), timing, overall,
and feedback a person can act on. See docs/analysis.md for the method and its limits."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backlot.analysis.align import Path, distances, dtw
from backlot.analysis.audio import FRAME, SAMPLE_RATE, NoSpeechError, Samples, prepare
from backlot.analysis.base import Weights
from backlot.analysis.features import loudness, mfcc, pitch_hz, semitones

Matrix = NDArray[np.float64]
# Vocal tract length warps tried for the attempt (about +-20 %: child, other sex).
WARPS = (0.82, 0.88, 0.94, 1.0, 1.06, 1.12, 1.18)
MIN_VOICED = 0.05  # below this share of voiced frames there is no speech to score
CONTOUR_POINTS = 300


@dataclass(frozen=True)
class Analysis:
    pronunciation: float
    intonation: float
    emotion: float
    timing: float
    overall: float
    monotone: bool
    feedback: dict[str, Any] = field(default_factory=dict)

    def scores(self) -> dict[str, float]:
        return {
            "pronunciation": self.pronunciation,
            "intonation": self.intonation,
            "emotion": self.emotion,
            "timing": self.timing,
            "overall": self.overall,
        }


@dataclass
class _Voice:
    samples: Samples
    cepstra: Matrix
    pitch: Matrix  # semitones from the speaker's median, NaN unvoiced
    loudness: Matrix

    @property
    def seconds(self) -> float:
        return self.samples.size / SAMPLE_RATE

    @classmethod
    def of(cls, samples: Samples, warp: float = 1.0) -> _Voice:
        cepstra = mfcc(samples, warp)
        frames = cepstra.shape[0]
        return cls(
            samples,
            cepstra,
            _fit(semitones(pitch_hz(samples)), frames),
            _fit(loudness(samples), frames),
        )


def _fit(values: Matrix, frames: int) -> Matrix:
    if values.size >= frames:
        return values[:frames]
    return np.concatenate([values, np.full(frames - values.size, np.nan)])


def _similar(a: float, b: float) -> float:
    """1 when equal, towards 0 as one is a multiple of the other."""
    if a <= 0 or b <= 0:
        return 0.0 if max(a, b) > 0 else 1.0
    return min(a, b) / max(a, b)


def _score(value: float) -> float:
    return round(float(np.clip(value, 0, 1)) * 100, 1)


def _corr(x: Matrix, y: Matrix) -> float:
    if x.size < 3 or np.std(x) < 1e-9 or np.std(y) < 1e-9:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def _movement(pitch: Matrix) -> float:
    """Mean pitch change between neighbouring voiced frames, semitones per frame."""
    steps = np.abs(np.diff(pitch))
    steps = steps[~np.isnan(steps)]
    return float(steps.mean()) if steps.size else 0.0


def _spread(pitch: Matrix) -> float:
    voiced = pitch[~np.isnan(pitch)]
    return float(np.std(voiced)) if voiced.size else 0.0


def _check_speech(voice: _Voice, who: str) -> None:
    if np.mean(~np.isnan(voice.pitch)) < MIN_VOICED:
        raise NoSpeechError(f"no voiced speech found in the {who}")


def pronunciation(ref: _Voice, attempt_samples: Samples) -> tuple[float, float, Path, _Voice]:
    """Spectral distance along the best alignment, relative to the distance to the
    attempt played backwards (same voice and channel, no words): a ratio near 0 is the
    same sounds, near 1 no more alike than noise from that voice. The attempt is tried
    under several vocal-tract warps and the closest is kept."""
    best: tuple[float, float] | None = None
    coarse = ref.cepstra[::2]  # the warp is chosen at half the frame rate: 4x fewer cells
    for warp in WARPS:
        cost, _ = dtw(distances(coarse, mfcc(attempt_samples, warp)[::2]))
        if best is None or cost < best[0]:
            best = (cost, warp)
    assert best is not None
    attempt = _Voice.of(attempt_samples, best[1])
    cost, path = dtw(distances(ref.cepstra, attempt.cepstra))
    reversed_cost, _ = dtw(distances(ref.cepstra, attempt.cepstra[::-1]))
    ratio = cost / max(reversed_cost, 1e-9)
    # A logistic over the ratio: same words in another voice land around 0.6-0.7,
    # other words around 0.9-1.0 (measured on synthetic and recorded speech).
    score = 1 / (1 + math.exp((ratio - 0.75) / 0.08))
    return _score(score), ratio, path, attempt


def _on_path(ref: Matrix, attempt: Matrix, path: Path) -> tuple[Matrix, Matrix]:
    return ref[path[:, 0]], attempt[path[:, 1]]


def intonation(ref: _Voice, attempt: _Voice, path: Path) -> tuple[float, dict[str, float]]:
    x, y = _on_path(ref.pitch, attempt.pitch, path)
    both = ~np.isnan(x) & ~np.isnan(y)
    x, y = x[both], y[both]
    spread_ref, spread_att = _spread(ref.pitch), _spread(attempt.pitch)
    measures = {"voiced_overlap": round(float(both.mean()), 3)}
    if x.size < 10:
        return 0.0, measures | {"correlation": 0.0, "error_st": 0.0, "range_ratio": 0.0}
    rho = _corr(x, y)
    error = float(np.sqrt(np.mean((x - y) ** 2)))
    range_ratio = spread_att / max(spread_ref, 1e-9)
    value = 0.5 * max(rho, 0) + 0.25 * math.exp(-((error / 2.0) ** 2))
    value += 0.25 * _similar(spread_att, spread_ref)
    return _score(value), measures | {
        "correlation": round(rho, 3),
        "error_st": round(error, 3),
        "range_ratio": round(range_ratio, 3),
    }


def emotion(ref: _Voice, attempt: _Voice, path: Path) -> tuple[float, dict[str, float]]:
    """How closely the attempt's expressive prosody follows the reference's: pitch range
    and movement, the loudness contour and its dynamics, speaking rate. It does not
    recognise emotions; it measures whether the delivery is shaped like the original."""
    lx, ly = _on_path(ref.loudness, attempt.loudness, path)
    loud = (lx > -40) | (ly > -40)
    energy_corr = max(_corr(lx[loud], ly[loud]), 0.0)
    dynamics = _similar(float(np.std(ly[loud])), float(np.std(lx[loud]))) if loud.any() else 0
    parts = {
        "pitch_range": _similar(_spread(attempt.pitch), _spread(ref.pitch)),
        "pitch_movement": _similar(_movement(attempt.pitch), _movement(ref.pitch)),
        "loudness_contour": energy_corr,
        "loudness_dynamics": float(dynamics),
        "rate": _similar(attempt.seconds, ref.seconds),
    }
    weights = {
        "pitch_range": 0.25,
        "pitch_movement": 0.2,
        "loudness_contour": 0.3,
        "loudness_dynamics": 0.1,
        "rate": 0.15,
    }
    value = sum(weights[name] * part for name, part in parts.items())
    return _score(value), {name: round(part, 3) for name, part in parts.items()}


def _local_tempo(path: Path, window: int = 50) -> Matrix:
    """Attempt frames per reference frame over each half second of the reference."""
    ends = path[:, 0].max() + 1
    tempos = []
    for start in range(0, ends - window // 2, window):
        rows = path[(path[:, 0] >= start) & (path[:, 0] < start + window)]
        if rows.size:
            span_ref = rows[:, 0].max() - rows[:, 0].min() + 1
            span_att = rows[:, 1].max() - rows[:, 1].min() + 1
            tempos.append(span_att / span_ref)
    return np.asarray(tempos, dtype=np.float64)


def timing(ref: _Voice, attempt: _Voice, path: Path) -> tuple[float, dict[str, float]]:
    ratio = attempt.seconds / ref.seconds
    overall = math.exp(-abs(math.log(ratio)) / 0.25)
    tempos = _local_tempo(path)
    steadiness = math.exp(-float(np.std(np.log(tempos))) / 0.3) if tempos.size > 1 else 1.0
    return _score(0.7 * overall + 0.3 * steadiness), {
        "duration_ratio": round(ratio, 3),
        "tempo_spread": round(float(np.std(np.log(tempos))) if tempos.size > 1 else 0.0, 3),
    }


def _segments(ref: _Voice) -> list[tuple[int, int]]:
    frames = ref.cepstra.shape[0]
    count = int(np.clip(round(ref.seconds / 1.2), 1, 6))
    bounds = np.linspace(0, frames, count + 1).astype(int)
    return [(int(a), int(b)) for a, b in itertools.pairwise(bounds) if b > a]


def _words_in(text: str | None, start: float, end: float, total: float) -> str | None:
    """The words of the line that roughly fall in [start, end): spread over the reference
    in proportion to their letters (an estimate, not a forced alignment)."""
    if not text:
        return None
    words = text.split()
    weights = np.asarray([max(len(w), 1) for w in words], dtype=np.float64)
    edges = np.concatenate([[0], np.cumsum(weights)]) / weights.sum() * total
    picked = [
        w for w, a, b in zip(words, edges[:-1], edges[1:], strict=True) if b > start and a < end
    ]
    return " ".join(picked) or None


def _end_slope(pitch: Matrix, last: int = 30) -> float | None:
    voiced = np.nonzero(~np.isnan(pitch))[0]
    if voiced.size < 8:
        return None
    tail = voiced[-last:]
    slope = float(np.polyfit(tail * FRAME, pitch[tail], 1)[0])
    return slope * float(tail[-1] - tail[0]) * FRAME


def feedback(
    ref: _Voice, attempt: _Voice, path: Path, text: str | None, frame_cost: Matrix
) -> dict[str, Any]:
    remarks: list[str] = []
    segments = []
    mean_cost = float(frame_cost.mean())
    ratio = attempt.seconds / ref.seconds
    if abs(ratio - 1) >= 0.15:
        way = "faster" if ratio < 1 else "slower"
        remarks.append(f"Overall you were {abs(1 - ratio) * 100:.0f} % {way} than the original.")
    for start, end in _segments(ref):
        rows = path[(path[:, 0] >= start) & (path[:, 0] < end)]
        if rows.size == 0:
            continue
        span_att = (rows[:, 1].max() - rows[:, 1].min() + 1) * FRAME
        span_ref = (end - start) * FRAME
        tempo = span_att / span_ref
        ref_pitch = ref.pitch[start:end]
        att_pitch = attempt.pitch[rows[:, 1].min() : rows[:, 1].max() + 1]
        cost = float(frame_cost[(path[:, 0] >= start) & (path[:, 0] < end)].mean())
        where = f"{start * FRAME:.1f}-{end * FRAME:.1f} s"
        words = _words_in(text, start * FRAME, end * FRAME, ref.seconds)
        label = f"'{words}' ({where})" if words else where
        notes = []
        if tempo < 0.8:
            notes.append(f"you were {(1 - tempo) * 100:.0f} % faster in {label}")
        elif tempo > 1.25:
            notes.append(f"you were {(tempo - 1) * 100:.0f} % slower in {label}")
        ref_end, att_end = _end_slope(ref_pitch), _end_slope(att_pitch)
        if ref_end is not None and att_end is not None:
            if ref_end > 1.0 and att_end < -0.5:
                notes.append(f"your pitch falls at the end of {label} where the original rises")
            elif ref_end < -1.0 and att_end > 0.5:
                notes.append(f"your pitch rises at the end of {label} where the original falls")
        spread_ref, spread_att = _spread(ref_pitch), _spread(att_pitch)
        if spread_ref > 0.8 and spread_att < 0.5 * spread_ref:
            notes.append(f"your voice is flatter than the original in {label}")
        if cost > 1.25 * mean_cost and cost - mean_cost > 0.3:
            notes.append(f"{label} sounds least like the original: listen and repeat it")
        remarks += [note[0].upper() + note[1:] + "." for note in notes]
        segments.append(
            {
                "start": round(start * FRAME, 2),
                "end": round(end * FRAME, 2),
                "words": words,
                "tempo": round(tempo, 3),
                "spectral_distance": round(cost, 3),
                "pitch_spread_st": [round(spread_ref, 2), round(spread_att, 2)],
                "remarks": notes,
            }
        )
    if not remarks:
        remarks.append("Close to the original throughout.")
    return {"remarks": remarks, "segments": segments, "contours": contours(ref, attempt, path)}


def contours(ref: _Voice, attempt: _Voice, path: Path) -> dict[str, list[float | None]]:
    """Pitch (semitones) and loudness (dB) of both on the reference's time axis, the
    attempt's frames placed where the alignment puts them; for plotting."""
    frames = ref.cepstra.shape[0]
    att_pitch = np.full(frames, np.nan)
    att_loud = np.full(frames, np.nan)
    for i in range(frames):
        mapped = path[path[:, 0] == i, 1]
        if mapped.size:
            att_pitch[i] = (
                np.nanmean(attempt.pitch[mapped])
                if np.any(~np.isnan(attempt.pitch[mapped]))
                else np.nan
            )
            att_loud[i] = float(np.mean(attempt.loudness[mapped]))
    step = max(1, math.ceil(frames / CONTOUR_POINTS))

    def points(values: Matrix) -> list[float | None]:
        return [None if np.isnan(v) else round(float(v), 2) for v in values[::step]]

    return {
        "time": [round(i * FRAME, 2) for i in range(0, frames, step)],
        "reference_pitch": points(ref.pitch),
        "attempt_pitch": points(att_pitch),
        "reference_loudness": points(ref.loudness),
        "attempt_loudness": points(att_loud),
    }


def analyze(
    reference: Samples, attempt: Samples, text: str | None = None, weights: Weights = Weights()
) -> Analysis:
    """Score `attempt` against `reference` (both decoded samples at 16 kHz).

    Raises NoSpeechError when either holds no speech to compare."""
    try:
        ref = _Voice.of(prepare(reference))
    except NoSpeechError as exc:
        raise NoSpeechError(f"the reference: {exc}") from exc
    _check_speech(ref, "reference")
    said = prepare(attempt)
    pron, ratio, path, voice = pronunciation(ref, said)
    _check_speech(voice, "recording")
    frame_cost = distances(ref.cepstra, voice.cepstra)[path[:, 0], path[:, 1]]
    inton, inton_measures = intonation(ref, voice, path)
    emot, emot_measures = emotion(ref, voice, path)
    tim, tim_measures = timing(ref, voice, path)
    total = weights.pronunciation + weights.intonation + weights.emotion + weights.timing
    overall = (
        pron * weights.pronunciation
        + inton * weights.intonation
        + emot * weights.emotion
        + tim * weights.timing
    ) / total
    monotone = _spread(voice.pitch) < 0.5 and _spread(ref.pitch) >= 1.0
    notes = feedback(ref, voice, path, text, frame_cost)
    if monotone:
        notes["remarks"].insert(0, "Your delivery is monotone: the original's pitch moves.")
    notes["measures"] = {
        "spectral_ratio": round(ratio, 3),
        **inton_measures,
        **{f"emotion_{k}": v for k, v in emot_measures.items()},
        **tim_measures,
        "reference_seconds": round(ref.seconds, 2),
        "attempt_seconds": round(voice.seconds, 2),
    }
    return Analysis(pron, inton, emot, tim, round(overall, 1), monotone, notes)
