"""Real video files for the streaming tests, encoded with PyAV (tests/videos/media.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.videos.media import encode

DURATION = 8  # seconds


@pytest.fixture(scope="session")
def sample_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("videos")
    return encode(folder / "sample.mp4", "mp4", seconds=DURATION, size=(160, 120))


@pytest.fixture(scope="session")
def sample_webm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("videos")
    return encode(folder / "sample.webm", "webm", seconds=DURATION, size=(160, 120))
