"""Decoding every format browsers and phones record, and refusing what is not audio."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from backlot.analysis import SAMPLE_RATE, AudioError, NoSpeechError, decode, prepare
from tests.analysis.voices import FIXTURES

FORMATS = {
    "wav": ["-c:a", "pcm_s16le"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    "m4a": ["-c:a", "aac", "-b:a", "64k"],
    "ogg": ["-c:a", "libopus", "-b:a", "32k"],
    "webm": ["-c:a", "libopus", "-b:a", "32k"],  # what MediaRecorder produces
    "flac": ["-c:a", "flac"],
}


@pytest.fixture(scope="module")
def encoded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg is not None, "ffmpeg not found: apt-get install ffmpeg (.ci/run does)"
    folder = tmp_path_factory.mktemp("formats")
    out = {}
    for extension, codec in FORMATS.items():
        path = folder / f"line.{extension}"
        subprocess.run(
            [
                ffmpeg,
                "-v",
                "error",
                "-i",
                str(FIXTURES / "line_low.ogg"),
                "-ar",
                "48000",
                "-ac",
                "2",
                *codec,
                str(path),
            ],
            check=True,
        )
        out[extension] = path
    return out


@pytest.mark.parametrize("extension", list(FORMATS))
def test_every_accepted_format_decodes_to_the_same_speech(
    encoded: dict[str, Path], extension: str
) -> None:
    original = decode(FIXTURES / "line_low.ogg")
    samples = decode(encoded[extension].read_bytes())  # bytes: the name is not used
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert abs(samples.size - original.size) < 0.1 * SAMPLE_RATE  # codec padding only
    assert 0.01 < float(np.abs(samples).max()) <= 1.0
    renamed = encoded[extension].with_suffix(".txt")
    shutil.copy(encoded[extension], renamed)
    assert decode(renamed).size == samples.size  # judged by the bytes, not the name


def test_too_long_is_refused_while_decoding(encoded: dict[str, Path]) -> None:
    with pytest.raises(AudioError, match="longer than 2 s"):
        decode(encoded["wav"], max_seconds=2)
    assert decode(encoded["wav"], max_seconds=10).size > 3 * SAMPLE_RATE


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"just some text, renamed to .wav",
        b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00garbage",  # a header and nothing
        bytes(range(256)) * 64,
    ],
)
def test_what_is_not_audio_is_refused(data: bytes) -> None:
    with pytest.raises(AudioError):
        decode(data)


def test_a_cut_file_decodes_what_is_there_or_fails_cleanly(encoded: dict[str, Path]) -> None:
    whole = encoded["mp3"].read_bytes()
    try:
        samples = decode(whole[: len(whole) // 2])
    except AudioError:
        return
    assert 0 < samples.size < decode(whole).size


def test_prepare_trims_silence_and_levels_loudness() -> None:
    speech = decode(FIXTURES / "line_low.ogg")
    quiet = np.concatenate(
        [np.zeros(SAMPLE_RATE, np.float32), speech * 0.05, np.zeros(SAMPLE_RATE // 2, np.float32)]
    )
    ready = prepare(quiet)
    assert ready.size < quiet.size - SAMPLE_RATE  # most of the silence is gone
    assert abs(ready.size - prepare(speech).size) < 0.15 * SAMPLE_RATE
    assert float(np.sqrt(np.mean(ready**2))) == pytest.approx(
        float(np.sqrt(np.mean(prepare(speech) ** 2))), rel=0.2
    )
    with pytest.raises(NoSpeechError):
        prepare(np.zeros(SAMPLE_RATE, np.float32))
