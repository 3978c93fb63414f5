"""Races over real sockets: `backlot serve --workers 2` (two processes) on the test
database, many concurrent clients. Exactly one wins; the losers get clean 4xx, never 5xx."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

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


async def _count_users(database_url: str, email: str) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            query = text('SELECT count(*) FROM "user" WHERE lower(email) = :email')
            return int((await connection.execute(query, {"email": email})).scalar_one())
    finally:
        await engine.dispose()


async def test_concurrent_registrations_of_one_email(server: str, database_url: str) -> None:
    email = unique_email("race")
    responses = await _burst(
        server, "POST", "/v1/auth/register", {"email": email, "password": PASSWORD}
    )
    # Everyone gets the same answer (no enumeration), and exactly one account exists.
    assert {r.status_code for r in responses} == {202}, [r.text for r in responses]
    assert len({r.text for r in responses}) == 1
    assert await _count_users(database_url, email) == 1


async def test_concurrent_refresh_with_one_token(server: str) -> None:
    email = unique_email("race")
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
        login = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        token = login.json()["refresh_token"]
    responses = await _burst(server, "POST", "/v1/auth/refresh", {"refresh_token": token})
    statuses = Counter(r.status_code for r in responses)
    # One rotation wins; within the reuse grace (tabs refreshing at once) every other
    # presentation gets the very same pair, so nobody is logged out.
    assert statuses == {200: CONCURRENCY}, [r.text for r in responses]
    pairs = {(r.json()["access_token"], r.json()["refresh_token"]) for r in responses}
    assert len(pairs) == 1
    successor = pairs.pop()[1]
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        after = await client.post("/v1/auth/refresh", json={"refresh_token": successor})
        assert after.status_code == 200  # the one successor chain goes on
        me = await client.get(
            "/v1/users/me", headers={"Authorization": f"Bearer {after.json()['access_token']}"}
        )
    assert me.status_code == 200
