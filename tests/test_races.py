"""Races over real sockets: `backlot serve --workers 2` (two processes) on the test
database, many concurrent clients. Exactly one wins; the losers get clean 4xx, never 5xx."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email

CONCURRENCY = 12


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    env = {
        "BACKLOT_DATABASE_URL": database_url,
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
    }
    with running_server(tmp_path, env, "--workers", "2") as base:
        yield base


async def _burst(base: str, method: str, path: str, json: object) -> list[httpx.Response]:
    # One connection per client, so the requests spread over both worker processes.
    async def one() -> httpx.Response:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            return await client.request(method, path, json=json)

    return list(await asyncio.gather(*(one() for _ in range(CONCURRENCY))))


async def test_concurrent_registrations_of_one_email(server: str) -> None:
    email = unique_email("race")
    responses = await _burst(
        server, "POST", "/v1/auth/register", {"email": email, "password": PASSWORD}
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: CONCURRENCY - 1}, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"email_taken"}


async def test_concurrent_refresh_with_one_token(server: str) -> None:
    email = unique_email("race")
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
        login = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        token = login.json()["refresh_token"]
    responses = await _burst(server, "POST", "/v1/auth/refresh", {"refresh_token": token})
    statuses = Counter(r.status_code for r in responses)
    # One rotation wins; every other presentation of the same token is reuse.
    assert statuses == {200: 1, 401: CONCURRENCY - 1}, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 401} == {"refresh_token_reused"}
    winner = next(r for r in responses if r.status_code == 200).json()
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        after = await client.post(
            "/v1/auth/refresh", json={"refresh_token": winner["refresh_token"]}
        )
    assert after.status_code == 401  # the reuse revoked the family, the winner's token too
