"""The external analyzer: the webhook contract on both databases (signed, fresh, applied
once, only for running jobs), and the whole path over real HTTP with the reference
analysis server in its own process."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response
from pydantic import SecretStr

from backlot.core.clock import FrozenClock
from backlot.core.db import unit_of_work
from backlot.core.settings import Settings
from backlot.core.webhooks import headers, new_secret
from backlot.dubbing.models import Job
from tests.analysis.voices import FIXTURES
from tests.conftest import TEST_SECRET
from tests.dubbing.flow import events, practice, upload
from tests.dubbing.test_catalogue import line, script
from tests.helpers import build_world, free_port, running_process

SECRET = new_secret()
HOOK = "/v1/tokens/webhook/analysis-complete"
SCORES = {"pronunciation": 81, "intonation": 72, "emotion": 64, "overall": 75}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.dubbing_analyzer = "external"
    settings.dubbing_analyzer_url = "http://127.0.0.1:9/analyze"  # never reached here
    settings.dubbing_webhook_secret = SecretStr(SECRET)
    return settings


async def _running_job(
    client: AsyncClient, app: FastAPI, settings: Settings
) -> tuple[str, dict[str, str]]:
    """A job waiting for the analysis server, and its owner's headers."""
    world = await build_world(client, settings)
    film = await script(client, world.admin.headers)
    one = await line(client, world.admin.headers, film["id"])
    async with unit_of_work(app.state.backlot.sessionmaker) as session:
        session.add(
            Job(
                id="a" * 32,
                user_id=world.guest.id,
                token_id=one["id"],
                state="running",
                stage="analysing",
                progress=50,
                tries=1,
                audio_key="dubbing/attempt/x",
                audio_type="audio/ogg",
                audio_size=1,
                audio_seconds=1.0,
            )
        )
    return "a" * 32, world.guest.headers


async def _post(
    client: AsyncClient,
    clock: FrozenClock,
    body: dict[str, object],
    *,
    secret: str = SECRET,
    when: datetime | None = None,
    id: str | None = None,
) -> Response:
    raw = json.dumps(body).encode()
    signed = headers(secret, raw, when or clock.now(), id)
    return await client.post(HOOK, content=raw, headers=signed)


async def test_the_webhook_contract(
    client: AsyncClient, app: FastAPI, settings: Settings, clock: FrozenClock
) -> None:
    job_id, owner = await _running_job(client, app, settings)
    body = {"job_id": job_id, "scores": SCORES, "detailed_feedback": {"remarks": ["ok"]}}

    forged = await _post(client, clock, body, secret=new_secret())
    assert (forged.status_code, forged.json()["code"]) == (401, "invalid_signature")
    stale = await _post(client, clock, body, when=clock.now() - timedelta(minutes=6))
    assert stale.status_code == 401
    unsigned = await client.post(HOOK, json=body)
    assert unsigned.status_code == 401
    unknown = await _post(client, clock, {**body, "job_id": "b" * 32}, id="msg_unknown")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "job_not_found")
    bad = await _post(client, clock, {"job_id": job_id, "scores": {"overall": 500}}, id="m_bad")
    assert bad.status_code == 422

    applied = await _post(client, clock, body, id="msg_1")
    assert applied.json() == {"status": "applied", "job_id": job_id}
    result = await client.get(f"/v1/tokens/analysis-result/{job_id}", headers=owner)
    assert result.json()["state"] == "completed"
    assert result.json()["scores"] == {**SCORES, "timing": None}
    # A repeated delivery (same webhook-id) is answered 200 and not applied again.
    changed = {**body, "scores": {**SCORES, "overall": 10}}
    again = await _post(client, clock, changed, id="msg_1")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    result = await client.get(f"/v1/tokens/analysis-result/{job_id}", headers=owner)
    assert result.json()["scores"]["overall"] == 75
    # A new delivery for a finished job is refused.
    late = await _post(client, clock, changed, id="msg_2")
    assert (late.status_code, late.json()["code"]) == (409, "job_finished")


@pytest.fixture(scope="module")
def external(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The reference analysis server and a Backlot that sends it its jobs."""
    folder = tmp_path_factory.mktemp("external")
    analyzer_port, port = free_port(), free_port()
    analyzer = [
        sys.executable,
        "-m",
        "backlot.dubbing.analysis_server",
        "--port",
        str(analyzer_port),
    ]
    secret = {"BACKLOT_DUBBING_WEBHOOK_SECRET": SECRET}
    base = f"http://127.0.0.1:{port}"
    env = {
        **secret,
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
        "BACKLOT_DUBBING_ANALYZER": "external",
        "BACKLOT_DUBBING_ANALYZER_URL": f"http://127.0.0.1:{analyzer_port}/analyze",
        "BACKLOT_PUBLIC_URL": base,
    }
    serve = [sys.executable, "-m", "backlot", "serve", "--port", str(port)]
    with (
        running_process(analyzer, Path(folder), secret, analyzer_port),
        running_process(serve, Path(folder), env, port),
    ):
        yield base


async def test_the_external_analyzer_end_to_end(external: str) -> None:
    p = await practice(external)
    accepted = await upload(p, (FIXTURES / "line_high.ogg").read_bytes())
    assert accepted.status_code == 202, accepted.text
    heard = await events(external, accepted.json()["progress_url"])
    assert heard[-1]["event"] == "completed", heard
    assert heard[-1]["data"]["scores"]["pronunciation"] >= 60


@pytest.mark.parametrize(
    "stamp",
    [b"\xb2\xb3", "\u0661".encode() * 10, b"9" * 400, b"9" * 5000, b"-1", b" 1"],
)
async def test_a_garbage_timestamp_is_refused_without_a_traceback(
    client: AsyncClient,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
    stamp: bytes,
) -> None:
    """Raw non-ASCII, non-ASCII digits, numbers too large for a float or an int."""
    raw = json.dumps({"job_id": "c" * 32, "scores": SCORES}).encode()
    signed = headers(SECRET, raw, clock.now(), "msg_garbage")
    sent = [(k.encode(), v.encode()) for k, v in signed.items() if k != "webhook-timestamp"]
    refused = await client.post(HOOK, content=raw, headers=[*sent, (b"webhook-timestamp", stamp)])
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_signature")
    assert refused.headers["content-type"] == "application/problem+json"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
