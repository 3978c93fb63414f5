"""Helpers of the dubbing job tests: a team with a line and its reference, uploads, and
an SSE reader over a real socket."""

from __future__ import annotations

import io
import json
import wave
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import numpy as np

from tests.analysis.voices import FIXTURES, LINE, voice
from tests.helpers import PASSWORD, bearer, unique_email


@dataclass
class Practice:
    base: str
    headers: dict[str, str]  # the user practising
    other: dict[str, str]  # another user
    line_id: int
    admin: dict[str, str]  # the editor of the script
    script_id: int


async def _account(http: httpx.AsyncClient, corporation: str | None = None) -> dict[str, str]:
    email = unique_email("dub")
    body = {"email": email, "password": PASSWORD}
    if corporation:
        body["corporation_name"] = corporation
    assert (await http.post("/v1/auth/register", json=body)).status_code == 202
    login = await http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    return bearer(login.json()["access_token"])


async def _member(http: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    """A guest of the admin's corporation."""
    email = unique_email("dub")
    body = {"email": email, "password": PASSWORD, "role": "guest"}
    assert (await http.post("/v1/users", json=body, headers=admin)).status_code == 201
    login = await http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    return bearer(login.json()["access_token"])


async def practice(base: str) -> Practice:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        admin = await _account(http, corporation=unique_email("studio"))
        script = await http.post(
            "/v1/scripts", json={"title": "Fox", "kind": "movie"}, headers=admin
        )
        line = await http.post(
            f"/v1/scripts/{script.json()['id']}/tokens", json={"text": LINE}, headers=admin
        )
        line_id = line.json()["id"]
        reference = (FIXTURES / "line_low.ogg").read_bytes()
        uploaded = await http.put(
            f"/v1/tokens/{line_id}/audio", files={"file": ("ref.ogg", reference)}, headers=admin
        )
        assert uploaded.status_code == 200, uploaded.text
        # The script is the corporation's own: its members practise it.
        return Practice(
            base,
            await _member(http, admin),
            await _member(http, admin),
            line_id,
            admin,
            script.json()["id"],
        )


async def upload(p: Practice, data: bytes, name: str = "take.webm") -> httpx.Response:
    async with httpx.AsyncClient(base_url=p.base, timeout=30) as http:
        return await http.post(
            f"/v1/tokens/{p.line_id}/upload-audio", files={"file": (name, data)}, headers=p.headers
        )


async def events(
    base: str, url: str, headers: dict[str, str] | None = None, timeout: float = 30
) -> list[dict[str, Any]]:
    """Every event of an SSE stream until the server ends it."""
    received: list[dict[str, Any]] = []
    async with (
        httpx.AsyncClient(base_url=base, timeout=timeout) as http,
        http.stream("GET", url, headers=headers or {}) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        current: dict[str, Any] = {}
        async for line in response.aiter_lines():
            if line.startswith(":"):
                continue  # a keepalive comment
            if not line:
                if current:
                    received.append(current)
                current = {}
                continue
            field, _, value = line.partition(": ")
            current[field] = json.loads(value) if field == "data" else value
    return received


def wav_bytes(samples: np.ndarray, rate: int = 16000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def short_take() -> bytes:
    """One second of the other voice saying the line: scored in a fraction of a second."""
    return wav_bytes(voice("line_high")[:16000])


async def upload_as(p: Practice, headers: dict[str, str], data: bytes) -> httpx.Response:
    async with httpx.AsyncClient(base_url=p.base, timeout=30) as http:
        return await http.post(
            f"/v1/tokens/{p.line_id}/upload-audio",
            files={"file": ("take.wav", data)},
            headers=headers,
        )


async def lifetime(
    p: Practice, headers: dict[str, str], accepted: dict[str, Any]
) -> tuple[datetime, datetime]:
    """When the job was queued and when it ended (waiting for its stream to end first)."""
    heard = await events(p.base, accepted["progress_url"], timeout=120)
    assert heard[-1]["event"] == "completed", heard
    async with httpx.AsyncClient(base_url=p.base, timeout=30) as http:
        result = await http.get(accepted["result_url"], headers=headers)
    # Parsed: ISO strings with and without microseconds do not sort as times.
    body = result.json()
    return datetime.fromisoformat(body["created_at"]), datetime.fromisoformat(body["finished_at"])
