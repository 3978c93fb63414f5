"""A real `backlot serve`: no `server` header, URL tokens redacted in its access log, and
a client that hangs up mid-upload logged as an abort (499 in the metrics), not a 500."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, free_port, unique_email, wait_until_answering

METRICS_TOKEN = "metrics-token-for-the-test"
SECRETS = ["sEcReT1abc", "sEcReT2def", "sEcReT3ghi", "sEcReT4jkl", "sEcReT5mno"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Base URL and the file that receives the server's whole output."""
    cwd = tmp_path_factory.mktemp("serve")
    log = cwd / "output.log"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKLOT_")} | {
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_METRICS_TOKEN": METRICS_TOKEN,
        "BACKLOT_LOG_LEVEL": "info",
    }
    command = [sys.executable, "-m", "backlot", "serve", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=output)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_answering(f"{base}/healthz", process, "backlot serve")
            yield base, log
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_no_server_header(served: tuple[str, Path]) -> None:
    base, _ = served
    response = httpx.get(f"{base}/healthz")
    assert "server" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


def test_url_tokens_are_redacted_in_the_access_log(served: tuple[str, Path]) -> None:
    base, log = served
    paths = [
        f"/v1/videos/stream/1?token={SECRETS[0]}",
        f"/v1/tokens/analysis-progress/1?a=1&token={SECRETS[1]}&b=2",
        f"/app/videos?access_token={SECRETS[2]}",
        f"/v1/nothing?x=y&refresh_token={SECRETS[3]}",
        f"/v1/nothing?%74oken={SECRETS[4]}",
    ]
    for path in paths:
        httpx.get(base + path)
    httpx.get(f"{base}/healthz?marker=done")
    text = _wait_for(log, "marker=done")
    assert "/v1/videos/stream/1?token=[redacted]" in text
    for secret in SECRETS:
        assert secret not in text


def _wait_for(log: Path, needle: str) -> str:
    for _ in range(300):  # the server writes its log lines asynchronously
        text = log.read_text(errors="replace")
        if needle in text:
            return text
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} never reached the log")


def _hang_up_mid_upload(base: str, path: str, headers: dict[str, str]) -> None:
    host, port = base.removeprefix("http://").split(":")
    boundary = "b0undary"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="clip.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    request = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        f"Content-Type: multipart/form-data; boundary={boundary}",
        "Content-Length: 5000000",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(("\r\n".join(request) + "\r\n\r\n").encode() + head + b"\x00" * 200_000)
        time.sleep(0.3)  # let the server start reading the body before the hang-up


def _metric_lines(base: str, route: str) -> list[str]:
    auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    text = httpx.get(f"{base}/metrics", headers=auth).text
    return [
        line
        for line in text.splitlines()
        if line.startswith("backlot_http_requests_total") and f'route="{route}"' in line
    ]


@pytest.mark.parametrize(
    ("path", "route", "signed_in"),
    [
        ("/v1/videos", "/v1/videos", True),  # the route reads the form itself
        ("/v1/tokens/1/upload-audio", "/v1/tokens/{token_id:int}/upload-audio", False),  # FastAPI
    ],
)
def test_a_client_hanging_up_mid_upload_is_an_abort(
    served: tuple[str, Path], path: str, route: str, signed_in: bool
) -> None:
    base, log = served
    headers: dict[str, str] = {}
    if signed_in:
        email = unique_email("abort")
        body = {"email": email, "password": PASSWORD, "corporation_name": "Abort Corp"}
        assert httpx.post(f"{base}/v1/auth/register", json=body).status_code == 202
        tokens = httpx.post(f"{base}/v1/auth/login", json={"email": email, "password": PASSWORD})
        headers["Authorization"] = f"Bearer {tokens.json()['access_token']}"
    _hang_up_mid_upload(base, path, headers)
    lines: list[str] = []
    for _ in range(300):
        lines = _metric_lines(base, route)
        if lines:
            break
        time.sleep(0.05)
    assert lines and all('status="499"' in line for line in lines), lines
    text = _wait_for(log, f"client closed the connection during POST {path}")
    assert "Traceback" not in text
    assert "unhandled error" not in text


@pytest.mark.parametrize(("trusted", "limited"), [("10.9.9.9", True), ("127.0.0.1", False)])
def test_a_forged_forwarded_for_escapes_no_limit(
    tmp_path: Path, trusted: str, limited: bool
) -> None:
    """Per-address limits count the client a trusted proxy names, and only then: an
    attacker rotating X-Forwarded-For straight at the service stays one address."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKLOT_")} | {
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
        "BACKLOT_AUTH_ADDRESS_RATE_LIMIT": "3/minute",
        "BACKLOT_FORWARDED_ALLOW_IPS": trusted,
    }
    command = [sys.executable, "-m", "backlot", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/healthz", process, "backlot serve")
        answers = [
            httpx.post(
                f"{base}/v1/auth/password-reset",
                json={"email": unique_email("xff")},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            )
            for n in range(4)
        ]
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert [a.status_code for a in answers[:3]] == [202, 202, 202]
    if limited:
        assert answers[3].status_code == 429
        assert int(answers[3].headers["retry-after"]) > 0
    else:  # the proxy (127.0.0.1 here) names four different clients
        assert answers[3].status_code == 202
