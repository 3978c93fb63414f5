"""deploy/nginx.conf does not buffer the progress stream: through Debian's nginx, the
first event of a job that is still going arrives at once, not when the stream ends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.analysis.voices import FIXTURES
from tests.conftest import TEST_SECRET
from tests.dubbing.flow import practice, upload
from tests.helpers import free_port, running_server
from tests.nginx import running_nginx


@pytest.fixture
def behind_nginx(tmp_path: Path) -> Iterator[str]:
    # An external analyzer nobody answers: the job retries with backoff for seconds.
    env = {
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
        "BACKLOT_DUBBING_ANALYZER": "external",
        "BACKLOT_DUBBING_ANALYZER_URL": f"http://127.0.0.1:{free_port()}/analyze",
        "BACKLOT_DUBBING_WEBHOOK_SECRET": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0",
    }
    with (
        running_server(tmp_path, env) as backend,
        running_nginx(backend, tmp_path / "var" / "objects", tmp_path) as base,
    ):
        yield base


async def test_progress_events_pass_nginx_as_they_happen(behind_nginx: str) -> None:
    p = await practice(behind_nginx)
    accepted = await upload(p, (FIXTURES / "line_high.ogg").read_bytes())
    assert accepted.status_code == 202, accepted.text
    started = time.monotonic()
    arrivals: list[tuple[float, str]] = []
    async with (
        httpx.AsyncClient(base_url=behind_nginx, timeout=60) as http,
        http.stream("GET", accepted.json()["progress_url"]) as response,
    ):
        assert response.headers["server"].startswith("nginx")
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                arrivals.append((time.monotonic() - started, line[7:]))
    assert arrivals[-1][1] == "failed"  # out of tries: nobody answered
    first, last = arrivals[0][0], arrivals[-1][0]
    assert last - first > 2  # the job went on for seconds (backoff 1 s, 2 s)...
    assert first < 1.5  # ...and its first event came through at once
    kinds = [kind for _, kind in arrivals]
    assert "decoding" in kinds[1:] and "retrying" in kinds  # tries seen as they happened
