"""Login, register, refresh, reset and verification are rate limited (429 + Retry-After),
and password hashing never runs on the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from backlot.app import create_app
from backlot.core.clock import FrozenClock
from backlot.core.security import hash_password, verify_password
from backlot.settings import Settings
from tests.conftest import REDIS_URL, needs_redis
from tests.helpers import PASSWORD, register, unique_email


def _assert_throttled(response: object) -> None:
    assert response.status_code == 429, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    assert int(response.headers["retry-after"]) >= 1  # type: ignore[attr-defined]


async def test_login_guesses_on_one_account_are_limited(client: AsyncClient) -> None:
    """~17 guesses a second used to be possible; now 10 a minute per account."""
    email = unique_email()
    await register(client, email)  # one successful sign-in
    wrong = {"email": email, "password": "not the password"}
    statuses = [(await client.post("/v1/auth/login", json=wrong)).status_code for _ in range(10)]
    assert statuses == [401] * 9 + [429]
    # Even the right password waits now; another account from this address does not.
    right = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    _assert_throttled(right)
    assert right.json()["code"] == "rate_limited"
    other = unique_email()
    await register(client, other)


async def test_each_route_is_limited_per_address(settings: Settings, clock: FrozenClock) -> None:
    settings.auth_address_rate_limit = "3/minute"
    app: FastAPI = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app, client=("203.0.113.7", 5000))
        async with AsyncClient(transport=transport, base_url="http://testserver") as http:
            calls = {
                "/v1/auth/register": lambda: {"email": unique_email(), "password": PASSWORD},
                "/v1/auth/login": lambda: {"email": unique_email(), "password": PASSWORD},
                "/v1/auth/refresh": lambda: {"refresh_token": "made-up"},
                "/v1/auth/password-reset": lambda: {"email": unique_email()},
                "/v1/auth/verify-email": lambda: {"token": "made-up"},
            }
            for path, body in calls.items():
                answers = [await http.post(path, json=body()) for _ in range(4)]
                assert all(a.status_code != 429 for a in answers[:3]), path
                _assert_throttled(answers[3])
        # Another address is counted apart.
        transport = ASGITransport(app=app, client=("198.51.100.9", 5000))
        async with AsyncClient(transport=transport, base_url="http://testserver") as http:
            ok = await http.post(
                "/v1/auth/register", json={"email": unique_email(), "password": PASSWORD}
            )
            assert ok.status_code == 202


@needs_redis
async def test_limits_are_shared_by_processes_through_redis(
    settings: Settings, clock: FrozenClock
) -> None:
    """Two app instances (as two worker processes) count one account's guesses together."""
    import uuid

    assert REDIS_URL is not None
    settings.redis_url = REDIS_URL
    settings.redis_prefix = f"t{uuid.uuid4().hex[:8]}:"
    settings.login_rate_limit = "4/minute"
    first, second = create_app(settings, clock), create_app(settings, clock)
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        clients = [
            AsyncClient(transport=ASGITransport(app=a), base_url="http://testserver")
            for a in (first, second)
        ]
        wrong = {"email": unique_email(), "password": "not the password"}
        statuses = [
            (await clients[i % 2].post("/v1/auth/login", json=wrong)).status_code for i in range(5)
        ]
        assert statuses == [401, 401, 401, 401, 429]
        for http in clients:
            await http.aclose()
        await first.state.backlot.rate_limiter.reset()


async def _loop_turns_during(work: Awaitable[object]) -> int:
    """How many times the event loop ran other code while `work` ran."""
    turns = 0
    task = asyncio.ensure_future(work)
    while not task.done():
        turns += 1
        await asyncio.sleep(0)
    await task
    return turns


@pytest.mark.parametrize("which", ["hash", "verify"])
async def test_password_hashing_leaves_the_event_loop_free(which: str) -> None:
    """Argon2 runs in a worker thread: while it works, the loop keeps serving others
    (on the loop, the other coroutine would not run at all until the hash is done)."""
    stored = await hash_password(PASSWORD)
    work = hash_password(PASSWORD) if which == "hash" else verify_password(PASSWORD, stored)
    assert await _loop_turns_during(work) > 10
