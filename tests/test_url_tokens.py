"""URL tokens die with the session they were issued in: a stream URL, a line's audio URL
and a job's progress URL minted before a password change (or a logout) answer 401
`session_ended` after it, on a real server over real sockets. The URLs handed to the
external analysis server are the job's, not the user's: they keep working after the
owner's session ends, so the job can still be scored."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from backlot.core.webhooks import new_secret
from tests.analysis.voices import FIXTURES
from tests.conftest import TEST_SECRET
from tests.dubbing.flow import Practice, practice, upload
from tests.helpers import PASSWORD, bearer, running_server
from tests.videos.media import encoded

ENV = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
ATTEMPT = (FIXTURES / "line_high.ogg").read_bytes()
MP4 = encoded("mp4", seconds=0.6)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("url-tokens"), ENV) as base:
        yield base


async def _change_password(base: str, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        answer = await http.patch(
            "/v1/users/me",
            json={"password": PASSWORD + " again", "current_password": PASSWORD},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text


async def _sign_in(base: str, headers: dict[str, str], password: str = PASSWORD) -> dict[str, str]:
    """A new session of the user behind `headers`: its tokens."""
    async with httpx.AsyncClient(base_url=base) as http:
        email = (await http.get("/v1/users/me", headers=headers)).json()["email"]
        answer = await http.post("/v1/auth/login", json={"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


async def _status(base: str, url: str) -> tuple[int, str | None]:
    """The URL's status (and problem code), without reading a stream's body."""
    async with (
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        http.stream("GET", url, headers={"Range": "bytes=0-9"}) as answer,
    ):
        if answer.status_code >= 400:
            await answer.aread()
            return answer.status_code, answer.json().get("code")
        return answer.status_code, None


async def _stream_url(p: Practice) -> str:
    async with httpx.AsyncClient(base_url=p.base, timeout=30) as http:
        made = await http.post(
            "/v1/videos",
            files={"file": ("clip.bin", MP4, "application/octet-stream")},
            data={"name": "Intro"},
            headers=p.admin,
        )
        assert made.status_code == 201, made.text
        issued = await http.post(f"/v1/videos/{made.json()['id']}/stream-url", headers=p.headers)
        assert issued.status_code == 200, issued.text
        return str(issued.json()["url"])


async def _audio_url(p: Practice) -> str:
    async with httpx.AsyncClient(base_url=p.base) as http:
        line = await http.get(f"/v1/tokens/{p.line_id}", headers=p.headers)
        assert line.status_code == 200, line.text
        return str(line.json()["audio_url"])


async def _progress_url(p: Practice) -> str:
    accepted = await upload(p, ATTEMPT)
    assert accepted.status_code == 202, accepted.text
    return str(accepted.json()["progress_url"])


MINTS = {"stream": _stream_url, "line_audio": _audio_url, "progress": _progress_url}


@pytest.mark.parametrize("kind", sorted(MINTS))
async def test_a_url_token_dies_with_its_session_after_a_password_change(
    server: str, kind: str
) -> None:
    p = await practice(server)
    url = await MINTS[kind](p)
    assert (await _status(server, url))[0] in (200, 206)
    await _change_password(server, p.headers)
    assert await _status(server, url) == (401, "session_ended")


async def test_a_stream_url_dies_with_a_logout(server: str) -> None:
    p = await practice(server)
    tokens = await _sign_in(server, p.headers)
    url = await _stream_url(replace(p, headers=bearer(tokens["access_token"])))
    async with httpx.AsyncClient(base_url=server) as http:
        answer = await http.post(
            "/v1/auth/logout",
            json={"refresh_token": tokens["refresh_token"]},
            headers=bearer(tokens["access_token"]),
        )
        assert answer.status_code < 300, answer.text
    assert await _status(server, url) == (401, "session_ended")


async def test_the_urls_of_a_new_session_work(server: str) -> None:
    """The refusal is the ended session's only: signed in again, the user's new URLs play."""
    p = await practice(server)
    async with httpx.AsyncClient(base_url=server) as http:
        email = (await http.get("/v1/users/me", headers=p.headers)).json()["email"]
    await _change_password(server, p.headers)
    async with httpx.AsyncClient(base_url=server) as http:
        login = {"email": email, "password": PASSWORD + " again"}
        answer = await http.post("/v1/auth/login", json=login)
        assert answer.status_code == 200, answer.text
    again = replace(p, headers=bearer(answer.json()["access_token"]))
    for mint in MINTS.values():
        assert (await _status(server, await mint(again)))[0] in (200, 206)


class _Analyzer(ThreadingHTTPServer):
    """Stands where the external analysis server stands: it receives the jobs."""

    jobs: queue.Queue[dict[str, Any]]


class _Receive(BaseHTTPRequestHandler):
    server: _Analyzer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.jobs.put(json.loads(body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def analyzer() -> Iterator[_Analyzer]:
    listener = _Analyzer(("127.0.0.1", 0), _Receive)
    listener.jobs = queue.Queue()
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    yield listener
    listener.shutdown()
    listener.server_close()


@pytest.fixture(scope="module")
def external(tmp_path_factory: pytest.TempPathFactory, analyzer: _Analyzer) -> Iterator[str]:
    env = {
        **ENV,
        "BACKLOT_DUBBING_ANALYZER": "external",
        "BACKLOT_DUBBING_ANALYZER_URL": f"http://127.0.0.1:{analyzer.server_port}/analyze",
        "BACKLOT_DUBBING_WEBHOOK_SECRET": new_secret(),
    }
    with running_server(tmp_path_factory.mktemp("url-tokens-external"), env) as base:
        yield base


async def test_the_analysis_servers_urls_are_the_jobs_and_outlive_the_session(
    external: str, analyzer: _Analyzer
) -> None:
    p = await practice(external)
    accepted = await upload(p, ATTEMPT)
    assert accepted.status_code == 202, accepted.text
    job = await asyncio.to_thread(analyzer.jobs.get, timeout=30)
    assert job["job_id"] == accepted.json()["job_id"]
    await _change_password(external, p.headers)
    # The owner's own URL is dead; the server's still fetch both recordings.
    assert await _status(external, accepted.json()["progress_url"]) == (401, "session_ended")
    for url in (job["reference_url"], job["attempt_url"]):
        parts = urlsplit(url)
        assert (await _status(external, f"{parts.path}?{parts.query}"))[0] in (200, 206)
