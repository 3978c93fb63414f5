"""Login, register, refresh, reset and verification are rate limited (429 + Retry-After),
and password hashing never runs on the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from backlot.app import create_app
from backlot.core.clock import FrozenClock
from backlot.core.security import hash_password, verify_password
from backlot.core.settings import Settings
from tests.accounts.conftest import Mailbox
from tests.conftest import REDIS_URL, needs_redis
from tests.helpers import PASSWORD, build_world, login, register, unique_email


def _assert_throttled(response: object) -> None:
    assert response.status_code == 429, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    assert int(response.headers["retry-after"]) >= 1  # type: ignore[attr-defined]


async def test_login_guesses_on_one_account_are_limited(client: AsyncClient) -> None:
    """~17 guesses a second used to be possible; now 5 failures a minute per account and
    address."""
    email = unique_email()
    await register(client, email)  # one successful sign-in
    wrong = {"email": email, "password": "not the password"}
    statuses = [(await client.post("/v1/auth/login", json=wrong)).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    # Even the right password waits now, from this address.
    right = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    _assert_throttled(right)
    assert right.json()["code"] == "rate_limited"
    other = unique_email()
    await register(client, other)


@asynccontextmanager
async def _from(app: FastAPI, address: str) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app, client=(address, 5000))
    async with AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_guesses_from_one_address_do_not_lock_the_owner_out(app: FastAPI) -> None:
    """Wrong logins to "ALICE@example.com " from the attacker's address used to make the
    owner's own correct login 429; and the owner's successful logins counted too."""
    email = unique_email("alice")
    async with _from(app, "198.51.100.1") as owner:
        await register(owner, email)
        for _ in range(12):  # successful sign-ins are not counted
            await login(owner, email)
    async with _from(app, "203.0.113.66") as attacker:
        spelled = {"email": f" {email.upper()} ", "password": "not the password"}
        answers = [await attacker.post("/v1/auth/login", json=spelled) for _ in range(12)]
        assert [a.status_code for a in answers[:5]] == [401] * 5
        assert all(a.status_code == 429 for a in answers[5:]), [a.status_code for a in answers]
        _assert_throttled(answers[-1])
    async with _from(app, "198.51.100.1") as owner:
        await login(owner, email)


async def test_many_addresses_together_hit_the_account_cap(
    settings: Settings, clock: FrozenClock
) -> None:
    settings.login_account_rate_limit = "6/hour"
    app: FastAPI = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        email = unique_email()
        async with _from(app, "198.51.100.1") as owner:
            await register(owner, email)
        wrong = {"email": email, "password": "not the password"}
        for n in range(3):
            async with _from(app, f"203.0.113.{n + 1}") as attacker:
                for _ in range(2):
                    assert (await attacker.post("/v1/auth/login", json=wrong)).status_code == 401
        async with _from(app, "203.0.113.99") as attacker:
            _assert_throttled(await attacker.post("/v1/auth/login", json=wrong))
        # The cap is the account's: a correct password is refused too while it is full.
        async with _from(app, "198.51.100.1") as owner:
            right = {"email": email, "password": PASSWORD}
            _assert_throttled(await owner.post("/v1/auth/login", json=right))


async def test_reset_requests_from_one_address_do_not_block_the_owner(
    mailbox: Mailbox, app: FastAPI
) -> None:
    """Five reset requests for carol used to block carol's own reset for an hour."""
    carol = unique_email("carol")
    async with _from(app, "198.51.100.1") as owner:
        await register(owner, carol)
    async with _from(app, "203.0.113.66") as attacker:
        answers = [
            await attacker.post("/v1/auth/password-reset", json={"email": carol}) for _ in range(6)
        ]
        assert [a.status_code for a in answers[:2]] == [202, 202]
        assert all(a.status_code == 429 for a in answers[2:])
        _assert_throttled(answers[-1])
    async with _from(app, "198.51.100.1") as owner:
        mine = await owner.post("/v1/auth/password-reset", json={"email": carol})
        assert mine.status_code == 202, mine.text
    await mailbox.wait_for(carol, count=4)  # confirmation, two for the attacker, carol's


async def test_many_addresses_together_hit_the_mail_cap(
    mailbox: Mailbox, settings: Settings, clock: FrozenClock
) -> None:
    settings.mail_address_rate_limit = "4/day"
    app: FastAPI = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        target = unique_email()
        for n in range(2):
            async with _from(app, f"203.0.113.{n + 1}") as sender:
                for _ in range(2):
                    answer = await sender.post("/v1/auth/password-reset", json={"email": target})
                    assert answer.status_code == 202
        async with _from(app, "203.0.113.99") as sender:
            _assert_throttled(
                await sender.post("/v1/auth/verify-email/resend", json={"email": target})
            )


async def test_admins_creating_users_and_changing_emails_are_limited(
    settings: Settings, clock: FrozenClock
) -> None:
    """A self-made admin probes which addresses have accounts (409 email_taken): the
    answer stays, but its pace is bounded, and so are the mails it sends."""
    settings.user_admin_rate_limit = "3/hour"
    app: FastAPI = create_app(settings, clock)
    async with app.router.lifespan_context(app), _from(app, "203.0.113.5") as http:
        world = await build_world(http, settings)  # the admin creates one user there
        taken = await http.post(
            "/v1/users",
            json={"email": world.other_admin.email, "password": PASSWORD},
            headers=world.admin.headers,
        )
        assert taken.status_code == 409
        probe = await http.patch(
            f"/v1/users/{world.guest.id}",
            json={"email": unique_email()},
            headers=world.admin.headers,
        )
        assert probe.status_code == 200, probe.text
        for attempt in (
            http.post(
                "/v1/users",
                json={"email": unique_email(), "password": PASSWORD},
                headers=world.admin.headers,
            ),
            http.patch(
                f"/v1/users/{world.guest.id}",
                json={"email": world.other_admin.email},
                headers=world.admin.headers,
            ),
        ):
            _assert_throttled(await attempt)
        # Other changes, other admins and the superuser are not held up.
        renamed = await http.patch(
            f"/v1/users/{world.guest.id}", json={"display_name": "G"}, headers=world.admin.headers
        )
        assert renamed.status_code == 200
        for actor in (world.other_admin, world.superuser):
            made = await http.post(
                "/v1/users",
                json={"email": unique_email(), "password": PASSWORD},
                headers=actor.headers,
            )
            assert made.status_code == 201, made.text


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
                "/v1/auth/logout": lambda: {"refresh_token": "made-up"},
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
