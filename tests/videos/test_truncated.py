"""Uploads cut short over a real socket: the client promises more bytes than it sends
(and goes), or the multipart body ends without its closing boundary. 4xx where anyone is
left to answer, and never an object or a row left behind."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email
from tests.videos.test_api import MP4

BOUNDARY = "CutShort"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, dict[str, str]]]:
    env = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}
    with running_server(tmp_path, env) as base, httpx.Client(base_url=base) as http:
        email = unique_email("cut")
        account = {"email": email, "password": PASSWORD, "corporation_name": email}
        http.post("/v1/auth/register", json=account).raise_for_status()
        login = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        yield base, tmp_path / "var" / "objects", headers


def _body(data: bytes, close: bool) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\nCut\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="v.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    return head + data + (f"\r\n--{BOUNDARY}--\r\n".encode() if close else b"")


def _send(base: str, headers: dict[str, str], body: bytes, length: int) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    request = (
        f"POST /v1/videos HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: {headers['Authorization']}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request + body)
        if length > len(body):
            sock.shutdown(socket.SHUT_WR)  # the client gives up mid-upload
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    return answer


def _nothing_left(base: str, objects: Path, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 5
    while True:
        stored = (
            [p for p in (objects / "data").rglob("*") if p.is_file()] if objects.exists() else []
        )
        leftovers = [p for p in (objects / "tmp").glob("*")] if objects.exists() else []
        listed = httpx.get(f"{base}/v1/videos", headers=headers).json()["total"]
        if not stored and not leftovers and listed == 0:
            return
        assert time.monotonic() < deadline, (stored, leftovers, listed)
        time.sleep(0.1)


def test_client_that_goes_mid_upload(server: tuple[str, Path, dict[str, str]]) -> None:
    base, objects, headers = server
    body = _body(MP4, close=True)
    answer = _send(base, headers, body[: len(body) // 2], len(body))
    assert answer == b"" or answer.split(b" ", 2)[1].startswith(b"4"), answer[:200]
    _nothing_left(base, objects, headers)


def test_body_without_its_closing_boundary(server: tuple[str, Path, dict[str, str]]) -> None:
    base, objects, headers = server
    body = _body(MP4, close=False)
    answer = _send(base, headers, body, len(body))
    status = answer.split(b" ", 2)[1]
    assert status.startswith(b"4"), answer[:300]
    _nothing_left(base, objects, headers)


async def test_server_keeps_serving_after_cut_uploads(
    server: tuple[str, Path, dict[str, str]],
) -> None:
    base, _objects, headers = server
    body = _body(MP4, close=True)
    await asyncio.gather(
        *(asyncio.to_thread(_send, base, headers, body[:1000], len(body)) for _ in range(5))
    )
    async with httpx.AsyncClient(base_url=base) as http:
        made = await http.post(
            "/v1/videos",
            files={"file": ("v.mp4", MP4, "video/mp4")},
            data={"name": "Whole"},
            headers=headers,
        )
    assert made.status_code == 201
