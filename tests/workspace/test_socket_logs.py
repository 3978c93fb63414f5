"""The JWT form of the socket (`?token=`) stays for API clients, but a real `backlot
serve` never writes the token into its log: uvicorn's line for every socket it accepts
carries the URL with `token=[redacted]`, whether the token was good or refused."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, free_port, unique_email, wait_until_answering
from tests.workspace.peers import joined, socket_url


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Base URL and the file that receives the server's whole output, at level info."""
    cwd = tmp_path_factory.mktemp("socket-logs")
    log = cwd / "output.log"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKLOT_")} | {
        "BACKLOT_SECRET_KEY": TEST_SECRET,
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


def _wait_for(log: Path, needle: str) -> str:
    for _ in range(300):  # the server writes its log lines asynchronously
        text = log.read_text(errors="replace")
        if needle in text:
            return text
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} never reached the log")


async def test_socket_tokens_never_reach_the_log(served: tuple[str, Path]) -> None:
    base, log = served
    email = unique_email("socket-log")
    async with httpx.AsyncClient(base_url=base) as http:
        body = {"email": email, "password": PASSWORD, "corporation_name": email}
        assert (await http.post("/v1/auth/register", json=body)).status_code == 202
        login = await http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        token = login.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        room = {"room_id": "logged", "title": "Logged", "visibility": "members"}
        assert (await http.post("/v1/workspace/rooms", json=room, headers=headers)).is_success
    # A good token (admitted) and a forged one (refused, 4401): both URLs are logged.
    async with joined(base, "logged", "ann", token=token) as peer:
        assert peer.init["readOnly"] is False
    forged = "eyJhbGciOiJIUzI1NiJ9.forgedForgedForged.signatureSignature"
    async with websockets.connect(socket_url(base, "logged", nickname="cy", token=forged)) as ws:
        await ws.recv()  # the refusal's ERROR, then the close
    async with httpx.AsyncClient(base_url=base) as http:
        await http.get("/healthz?marker=done")
    text = _wait_for(log, "marker=done")
    assert "/ws/workspace/logged/?nickname=ann&token=[redacted]" in text, text[-3000:]
    assert "nickname=cy&token=[redacted]" in text
    secret_parts = [token.split(".")[1], token.split(".")[2], "forgedForgedForged"]
    for part in secret_parts:
        assert part not in text
