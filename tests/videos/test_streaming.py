"""Streaming over real sockets: `backlot serve` on 127.0.0.1 with a real video file,
ranges as players send them, ffprobe reading the stream URL, and external URLs proxied
from another server (ranges passed through, upstream closed when the client goes)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, free_port, running_process, running_server, unique_email
from tests.videos.conftest import DURATION

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Library:
    base: str
    upstream: str
    headers: dict[str, str]  # the corporation's admin, who uploaded
    guest: dict[str, str]  # a viewer of the same corporation
    video: int  # uploaded sample.mp4
    size: int
    data: bytes


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, sample_mp4: Path) -> Iterator[Library]:
    folder = tmp_path_factory.mktemp("streaming")
    port = free_port()
    upstream_cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "tests.videos.upstream:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    env = {
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
        "BACKLOT_VIDEO_URL_ALLOWED_HOSTS": f'["127.0.0.1:{port}"]',  # that port only
    }
    with (
        running_process(upstream_cmd, ROOT, {"UPSTREAM_FILE": str(sample_mp4)}, port) as upstream,
        running_server(folder, env) as base,
    ):
        with httpx.Client(base_url=base, timeout=30) as http:
            email = unique_email("streamer")
            account = {"email": email, "password": PASSWORD, "corporation_name": email}
            http.post("/v1/auth/register", json=account)
            login = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            data = sample_mp4.read_bytes()
            made = http.post(
                "/v1/videos",
                files={"file": ("sample.mp4", data, "video/mp4")},
                data={"name": "Sample"},
                headers=headers,
            )
            assert made.status_code == 201, made.text
            guest = {"email": unique_email("viewer"), "password": PASSWORD}
            assert http.post("/v1/users", json=guest, headers=headers).status_code == 201
            login = http.post("/v1/auth/login", json=guest)
            guest_headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        yield Library(base, upstream, headers, guest_headers, made.json()["id"], len(data), data)


def _get(lib: Library, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{lib.base}{path}", headers={**lib.headers, **headers}, timeout=30)


@pytest.mark.parametrize(
    ("range_", "status", "expected"),
    [
        ("bytes=0-99", 206, slice(0, 100)),
        ("bytes=5000-5999", 206, slice(5000, 6000)),
        ("bytes=-500", 206, slice(-500, None)),
        ("bytes=1000-", 206, slice(1000, None)),
        ("bytes=abc", 200, slice(None)),  # malformed: ignored, the whole file
        ("bytes=99999999-", 416, None),
    ],
)
def test_ranges_as_players_send_them(
    library: Library, range_: str, status: int, expected: slice | None
) -> None:
    answer = _get(library, f"/v1/videos/stream/{library.video}", Range=range_)
    assert answer.status_code == status
    if expected is None:
        assert answer.headers["content-range"] == f"bytes */{library.size}"
        assert answer.json()["code"] == "range_not_satisfiable"
        return
    assert answer.content == library.data[expected]
    assert answer.headers["content-type"] == "video/mp4"
    if status == 206:
        first = expected.start if expected.start >= 0 else library.size + expected.start
        assert answer.headers["content-range"].startswith(f"bytes {first}-")


def test_validators(library: Library) -> None:
    path = f"/v1/videos/stream/{library.video}"
    whole = _get(library, path)
    etag, modified = whole.headers["etag"], whole.headers["last-modified"]
    assert _get(library, path, **{"If-None-Match": etag}).status_code == 304
    assert _get(library, path, **{"If-Modified-Since": modified}).status_code == 304
    same = _get(library, path, Range="bytes=0-9", **{"If-Range": etag})
    assert same.status_code == 206
    changed = _get(library, path, Range="bytes=0-9", **{"If-Range": '"older"'})
    assert changed.status_code == 200
    assert len(changed.content) == library.size


def test_ffprobe_reads_the_stream_url(library: Library) -> None:
    ffprobe = shutil.which("ffprobe")
    assert ffprobe is not None, "ffprobe not found: apt-get install ffmpeg (.ci/run does)"
    issued = httpx.post(
        f"{library.base}/v1/videos/{library.video}/stream-url", headers=library.headers
    )
    url = f"{library.base}{issued.json()['url']}"
    probe = subprocess.run(
        [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "json", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    duration = float(json.loads(probe.stdout)["format"]["duration"])
    assert abs(duration - DURATION) < 0.2


def _register(library: Library, path: str, name: str) -> int:
    made = httpx.post(
        f"{library.base}/v1/videos",
        json={"name": name, "file_path": f"{library.upstream}{path}"},
        headers=library.headers,
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def test_external_urls_are_proxied_with_ranges(library: Library) -> None:
    video = _register(library, "/video", "Remote")
    part = _get(library, f"/v1/videos/stream/{video}", Range="bytes=100-199")
    assert part.status_code == 206
    assert part.content == library.data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{library.size}"
    assert part.headers["content-disposition"].startswith("inline")
    head = httpx.head(f"{library.base}/v1/videos/stream/{video}", headers=library.headers)
    assert head.status_code == 200
    assert head.headers["content-length"] == str(library.size)


def test_upstream_is_closed_when_the_client_goes(library: Library) -> None:
    video = _register(library, "/slow", "Endless")
    before = httpx.get(f"{library.upstream}/stats").json()["slow"]
    url = f"{library.base}/v1/videos/stream/{video}"
    with httpx.stream("GET", url, headers=library.headers, timeout=30) as answer:
        assert answer.status_code == 200
        for _chunk in answer.iter_bytes():
            break  # the viewer closes the tab after the first bytes
    deadline = time.monotonic() + 10
    while httpx.get(f"{library.upstream}/stats").json()["slow"] == before:
        assert time.monotonic() < deadline, "the upstream is still being read"
        time.sleep(0.1)


def _points(lib: Library) -> int:
    return int(httpx.get(f"{lib.base}/v1/users/me", headers=lib.guest).json()["point"])


def test_proxied_html_is_an_attachment_never_a_page(library: Library) -> None:
    video = _register(library, "/page", "Not a video")
    for method in ("GET", "HEAD"):
        answer = httpx.request(
            method, f"{library.base}/v1/videos/stream/{video}", headers=library.headers
        )
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/octet-stream"
        assert answer.headers["content-disposition"].startswith("attachment")
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-security-policy"] == "sandbox"
    remote = _register(library, "/video", "Remote video")
    for range_ in ("bytes=0-99", None):
        extra = {"Range": range_} if range_ else {}
        played = _get(library, f"/v1/videos/stream/{remote}", **extra)
        assert played.status_code == (206 if range_ else 200)
        assert played.headers["content-type"] == "video/mp4"
        assert played.headers["content-disposition"].startswith("inline")
        assert played.headers["x-content-type-options"] == "nosniff"
        assert played.headers["content-security-policy"] == "sandbox"


def test_proxied_views_pay_once_the_stream_starts(library: Library) -> None:
    broken = _register(library, "/broken", "Broken")
    before = _points(library)
    failed = httpx.get(f"{library.base}/v1/videos/stream/{broken}", headers=library.guest)
    assert failed.status_code == 502
    assert _points(library) == before
    page = _register(library, "/page", "A page, not a video")
    downloaded = httpx.get(f"{library.base}/v1/videos/stream/{page}", headers=library.guest)
    assert downloaded.status_code == 200
    assert downloaded.headers["content-disposition"].startswith("attachment")
    assert _points(library) == before
    working = _register(library, "/video", "Working")
    played = httpx.get(
        f"{library.base}/v1/videos/stream/{working}",
        headers={**library.guest, "Range": "bytes=0-99"},
    )
    assert played.status_code == 206
    assert _points(library) == before + 10


def test_allow_list_entry_is_for_its_port_only(library: Library) -> None:
    port = int(library.upstream.rsplit(":", 1)[1])
    refused = httpx.post(
        f"{library.base}/v1/videos",
        json={"name": "Next door", "file_path": f"http://127.0.0.1:{port + 1}/video"},
        headers=library.headers,
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "url_not_allowed"
