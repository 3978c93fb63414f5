"""Frame features, one row per 10 ms: MFCCs (with an optional vocal-tract-length warp),
pitch in semitones, loudness."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import parselmouth
from numpy.typing import NDArray
from scipy.fft import dct, rfft

from backlot.analysis.audio import FRAME, SAMPLE_RATE, Samples, frame_energy_db

WINDOW = 0.025
N_FFT = 512
N_MELS = 40
N_MFCC = 13
Matrix = NDArray[np.float64]


def _mel(hz: NDArray[np.float64] | float) -> NDArray[np.float64]:
    return np.asarray(2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0))


def _hz(mel: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(700.0 * (10 ** (mel / 2595.0) - 1.0))


@lru_cache(maxsize=16)
def mel_filterbank(warp: float = 1.0) -> Matrix:
    """Triangular mel filters over the FFT bins. `warp` scales the filters' frequencies
    (vocal tract length normalisation): a shorter tract puts formants higher, so a voice
    is compared through filters moved by the same factor."""
    low, high = 60.0, 7600.0
    edges = _hz(np.linspace(_mel(low), _mel(high), N_MELS + 2)) * warp
    bins = np.fft.rfftfreq(N_FFT, 1 / SAMPLE_RATE)
    bank = np.zeros((N_MELS, bins.size))
    for index in range(N_MELS):
        left, centre, right = edges[index : index + 3]
        rising = (bins - left) / max(centre - left, 1e-9)
        falling = (right - bins) / max(right - centre, 1e-9)
        bank[index] = np.clip(np.minimum(rising, falling), 0, None)
    return bank


def _frames(samples: Samples) -> Matrix:
    hop, width = int(FRAME * SAMPLE_RATE), int(WINDOW * SAMPLE_RATE)
    padded = np.pad(samples.astype(np.float64), (0, width))
    count = max(1, samples.size // hop)
    index = np.arange(width)[None, :] + hop * np.arange(count)[:, None]
    emphasised = np.append(padded[0], padded[1:] - 0.97 * padded[:-1])
    return np.asarray(emphasised[index] * np.hamming(width))


def mfcc(samples: Samples, warp: float = 1.0) -> Matrix:
    """Cepstral coefficients 1-12 per frame, each normalised to zero mean and unit
    variance over the utterance (cepstral mean and variance normalisation: a constant
    channel or microphone colour cancels out)."""
    spectrum = np.abs(rfft(_frames(samples), n=N_FFT)) ** 2
    energies = np.log(spectrum @ mel_filterbank(round(warp, 3)).T + 1e-10)
    coefficients = dct(energies, type=2, axis=1, norm="ortho")[:, 1:N_MFCC]
    centred = coefficients - coefficients.mean(axis=0)
    return np.asarray(centred / (centred.std(axis=0) + 1e-8))


def pitch_hz(samples: Samples, floor: float = 60.0, ceiling: float = 500.0) -> Matrix:
    """F0 per 10 ms frame (Praat's autocorrelation method); 0 where unvoiced."""
    sound = parselmouth.Sound(samples.astype(np.float64), sampling_frequency=SAMPLE_RATE)
    pitch = sound.to_pitch_ac(time_step=FRAME, pitch_floor=floor, pitch_ceiling=ceiling)
    values = pitch.selected_array["frequency"]
    times = pitch.xs()
    # Praat's frames start half a window in; place them on our 10 ms grid.
    count = max(1, samples.size // int(FRAME * SAMPLE_RATE))
    out = np.zeros(count)
    slots = np.clip(np.round(times / FRAME).astype(int), 0, count - 1)
    out[slots] = values
    return out


def semitones(f0: Matrix) -> Matrix:
    """Pitch relative to the speaker's own median, in semitones (NaN where unvoiced):
    a deeper or higher voice saying the same melody gives the same curve."""
    voiced = f0 > 0
    out = np.full(f0.shape, np.nan)
    if voiced.any():
        out[voiced] = 12 * np.log2(f0[voiced] / np.median(f0[voiced]))
    # Beyond 1.5 octaves from the median is a tracking error (a jump in noise), not melody.
    out[np.abs(out) > 18] = np.nan
    return out


def loudness(samples: Samples) -> Matrix:
    """Frame loudness in dB relative to the utterance's loud frames."""
    energy = frame_energy_db(samples)
    return energy - np.percentile(energy, 90) if energy.size else energy
