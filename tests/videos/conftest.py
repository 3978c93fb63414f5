"""Real video files for the streaming tests, made by Debian's ffmpeg."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

DURATION = 8  # seconds


def _encode(folder: Path, name: str, codecs: list[str]) -> Path:
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg is not None, "ffmpeg not found: apt-get install ffmpeg (.ci/run does)"
    out = folder / name
    subprocess.run(
        [
            ffmpeg,
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
            "-t",
            str(DURATION),
            *codecs,
            "-shortest",
            str(out),
        ],
        check=True,
    )
    return out


@pytest.fixture(scope="session")
def sample_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    codecs = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart"]
    return _encode(tmp_path_factory.mktemp("videos"), "sample.mp4", codecs)


@pytest.fixture(scope="session")
def sample_webm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    codecs = ["-c:v", "libvpx", "-b:v", "200k", "-c:a", "libopus"]
    return _encode(tmp_path_factory.mktemp("videos"), "sample.webm", codecs)
