"""Auth flows end to end through the HTTP API."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from pathlib import Path

import anyio
import jwt
from httpx import AsyncClient

from backlot.accounts.superuser import create_superuser
from backlot.core.clock import FrozenClock
from backlot.core.settings import Settings
from tests.conftest import REDIS_URL, TEST_SECRET, needs_redis
from tests.helpers import PASSWORD, bearer, login, register, running_server, unique_email


async def test_register_with_corporation_makes_admin(client: AsyncClient) -> None:
    email = unique_email()
    user = await register(client, email.upper(), "Acme")
    assert user["email"] == email  # stored lower-cased
    assert user["role"] == "admin"
    assert user["corporation_id"] is not None
    assert user["point"] == 0


async def test_register_without_corporation_makes_personal_guest(client: AsyncClient) -> None:
    user = await register(client, unique_email())
    assert user["role"] == "guest"
    assert user["corporation_id"] is None


async def test_email_is_unique_case_insensitively(client: AsyncClient) -> None:
    email = unique_email()
    await register(client, email)
    response = await client.post(
        "/v1/auth/register", json={"email": email.upper(), "password": "another long one"}
    )
    assert response.status_code == 202  # the same answer as for a new address
    # No second account: the second password signs nobody in.
    second = await client.post(
        "/v1/auth/login", json={"email": email, "password": "another long one"}
    )
    assert second.status_code == 401


async def test_failed_register_leaves_no_corporation_behind(
    client: AsyncClient, settings: Settings
) -> None:
    """Unit of work: the corporation flushed before the user insert failed is rolled back."""
    email = unique_email()
    await register(client, email, "First")
    response = await client.post(
        "/v1/auth/register",
        json={"email": email, "password": PASSWORD, "corporation_name": "Second"},
    )
    assert response.status_code == 202
    root = unique_email("root")
    await create_superuser(settings, root, PASSWORD, None)
    headers = bearer((await login(client, root))["access_token"])
    listing = await client.get("/v1/corporations", headers=headers)
    assert [c["name"] for c in listing.json()["items"]] == ["First"]


async def test_login_json_and_form(client: AsyncClient) -> None:
    email = unique_email()
    await register(client, email)
    tokens = await login(client, email)
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    form = await client.post("/v1/auth/login", data={"username": email, "password": PASSWORD})
    assert form.status_code == 200
    me = await client.get("/v1/users/me", headers=bearer(form.json()["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == email


async def test_login_refuses_wrong_password_and_unknown_email_alike(client: AsyncClient) -> None:
    email = unique_email()
    await register(client, email)
    wrong = await client.post("/v1/auth/login", json={"email": email, "password": "nope-nope"})
    unknown = await client.post(
        "/v1/auth/login", json={"email": unique_email(), "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"
    assert wrong.headers["www-authenticate"] == "Bearer"


async def test_login_refuses_other_media_types(client: AsyncClient) -> None:
    response = await client.post(
        "/v1/auth/login", content=b"x", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


async def test_login_form_missing_field_is_validation_problem(client: AsyncClient) -> None:
    response = await client.post("/v1/auth/login", data={"username": "a@example.com"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["errors"][0]["loc"] == ["form", "password"]


async def test_refresh_rotates_and_reuse_revokes_family(
    client: AsyncClient, clock: FrozenClock
) -> None:
    email = unique_email()
    await register(client, email)
    first = await login(client, email)
    rotated = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (
        await client.get("/v1/users/me", headers=bearer(second["access_token"]))
    ).status_code == 200

    # The old token comes back after the grace (a stolen copy, not a second tab):
    # refused, and the family is revoked...
    clock.advance(timedelta(seconds=31))
    reuse = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    assert reuse.json()["code"] == "refresh_token_reused"
    # ...so the legitimate newer token is dead too.
    after = await client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401
    assert after.json()["code"] == "refresh_token_revoked"

    # Another sign-in is another family and still works.
    other = await login(client, email)
    ok = await client.post("/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert ok.status_code == 200


async def test_logout_revokes_family(client: AsyncClient) -> None:
    email = unique_email()
    await register(client, email)
    tokens = await login(client, email)
    rotated = (
        await client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).json()
    out = await client.post("/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]})
    assert out.status_code == 204
    again = await client.post("/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert again.status_code == 401
    assert again.json()["code"] == "refresh_token_revoked"
    unknown = await client.post("/v1/auth/logout", json={"refresh_token": "made-up"})
    assert unknown.status_code == 401


async def test_refresh_token_expires(client: AsyncClient, clock: FrozenClock) -> None:
    email = unique_email()
    await register(client, email)
    tokens = await login(client, email)
    clock.advance(timedelta(days=31))
    response = await client.post(
        "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "refresh_token_expired"


async def test_refresh_tokens_are_stored_hashed(client: AsyncClient, app: object) -> None:
    from sqlalchemy import select

    from backlot.accounts.models import RefreshToken
    from backlot.core.state import AppState

    email = unique_email()
    await register(client, email)
    tokens = await login(client, email)
    state: AppState = app.state.backlot  # type: ignore[attr-defined]
    async with state.sessionmaker() as session:
        stored = list(await session.scalars(select(RefreshToken.token_hash)))
    assert tokens["refresh_token"] not in stored
    # Two sign-ins (the register helper signs in once to read the user back).
    assert len(stored) == 2 and all(len(digest) == 64 for digest in stored)


async def test_expired_access_token_is_refused(client: AsyncClient, clock: FrozenClock) -> None:
    email = unique_email()
    await register(client, email)
    tokens = await login(client, email)
    clock.advance(timedelta(seconds=901))
    response = await client.get("/v1/users/me", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


async def test_tampered_and_foreign_tokens_are_refused(
    client: AsyncClient, settings: Settings
) -> None:
    email = unique_email()
    await register(client, email)
    token = (await login(client, email))["access_token"]
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    forged_other_key = jwt.encode(
        jwt.decode(token, options={"verify_signature": False}), "another-key-" * 4, "HS256"
    )
    unsigned = jwt.encode(jwt.decode(token, options={"verify_signature": False}), None, "none")
    for bad in (f"{header}.{payload}.{flipped}", forged_other_key, unsigned, "garbage", "a.b.c"):
        response = await client.get("/v1/users/me", headers=bearer(bad))
        assert response.status_code == 401, bad
        assert response.json()["code"] == "invalid_token"
    missing = await client.get("/v1/users/me")
    assert missing.status_code == 401
    assert missing.json()["code"] == "not_authenticated"


async def test_deleted_user_token_stops_working(client: AsyncClient) -> None:
    admin_email = unique_email()
    await register(client, admin_email, "Acme")
    admin = bearer((await login(client, admin_email))["access_token"])
    guest_email = unique_email()
    created = await client.post(
        "/v1/users", json={"email": guest_email, "password": PASSWORD}, headers=admin
    )
    guest_tokens = await login(client, guest_email)
    assert (
        await client.delete(f"/v1/users/{created.json()['id']}", headers=admin)
    ).status_code == 204
    me = await client.get("/v1/users/me", headers=bearer(guest_tokens["access_token"]))
    assert me.status_code == 401
    refresh = await client.post(
        "/v1/auth/refresh", json={"refresh_token": guest_tokens["refresh_token"]}
    )
    assert refresh.status_code == 401


async def test_password_change_needs_current_and_revokes_sessions(client: AsyncClient) -> None:
    email = unique_email()
    await register(client, email)
    tokens = await login(client, email)
    headers = bearer(tokens["access_token"])
    wrong = await client.patch(
        "/v1/users/me",
        json={"password": "new password 1", "current_password": "wrong"},
        headers=headers,
    )
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "wrong_password"
    other_device = await login(client, email)
    ok = await client.patch(
        "/v1/users/me",
        json={"password": "new password 1", "current_password": PASSWORD},
        headers=headers,
    )
    assert ok.status_code == 200
    old = await client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert old.status_code == 401
    # Access tokens of every session end at once, not when they expire.
    for access in (tokens["access_token"], other_device["access_token"]):
        me = await client.get("/v1/users/me", headers=bearer(access))
        assert me.status_code == 401
        assert me.json()["code"] == "session_ended"
    await login(client, email, "new password 1")


async def test_registration_can_be_closed(
    app: object, client: AsyncClient, settings: Settings
) -> None:
    settings.allow_registration = False
    response = await client.post(
        "/v1/auth/register", json={"email": unique_email(), "password": PASSWORD}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "registration_closed"


async def test_refresh_twice_within_grace_gets_the_same_pair(
    client: AsyncClient, clock: FrozenClock
) -> None:
    """Two tabs refresh with one token: both get the same new pair, nobody is logged out."""
    email = unique_email()
    await register(client, email)
    first = await login(client, email)
    body = {"refresh_token": first["refresh_token"]}
    one = await client.post("/v1/auth/refresh", json=body)
    clock.advance(timedelta(seconds=29))
    two = await client.post("/v1/auth/refresh", json=body)
    assert one.status_code == two.status_code == 200, two.text
    assert one.json()["refresh_token"] == two.json()["refresh_token"]
    assert one.json()["access_token"] == two.json()["access_token"]
    # The shared successor keeps working, once.
    nxt = await client.post("/v1/auth/refresh", json={"refresh_token": two.json()["refresh_token"]})
    assert nxt.status_code == 200


async def test_reuse_after_the_grace_revokes_the_family(
    client: AsyncClient, clock: FrozenClock
) -> None:
    email = unique_email()
    await register(client, email)
    first = await login(client, email)
    body = {"refresh_token": first["refresh_token"]}
    successor = (await client.post("/v1/auth/refresh", json=body)).json()
    clock.advance(timedelta(seconds=31))
    late = await client.post("/v1/auth/refresh", json=body)
    assert late.status_code == 401
    assert late.json()["code"] == "refresh_token_reused"
    dead = await client.post("/v1/auth/refresh", json={"refresh_token": successor["refresh_token"]})
    assert dead.status_code == 401
    assert dead.json()["code"] == "refresh_token_revoked"


async def test_logout_ends_access_tokens(client: AsyncClient) -> None:
    email = unique_email()
    await register(client, email)
    tokens = await login(client, email)
    headers = bearer(tokens["access_token"])
    assert (await client.get("/v1/users/me", headers=headers)).status_code == 200
    # The principal path (cached identity) as well as the row path.
    assert (await client.get("/v1/labeling/status/999999", headers=headers)).status_code == 404
    out = await client.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 204
    for path in ("/v1/users/me", "/v1/labeling/status/999999"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 401, path
        assert response.json()["code"] == "session_ended"
    # A new sign-in works at once.
    again = await login(client, email)
    me = await client.get("/v1/users/me", headers=bearer(again["access_token"]))
    assert me.status_code == 200


@needs_redis
async def test_session_end_reaches_every_process(database_url: str, tmp_path: Path) -> None:
    """Server A caches the user's principal; the logout happens on server B (another
    process). A must refuse the old access token although its cache would keep it a minute."""
    assert REDIS_URL is not None
    env = {
        "BACKLOT_DATABASE_URL": database_url,
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_REDIS_URL": REDIS_URL,
        "BACKLOT_REDIS_PREFIX": f"t{uuid.uuid4().hex[:8]}:",
        "BACKLOT_AUTH_CACHE_SECONDS": "60",
        "BACKLOT_LOG_LEVEL": "warning",
    }
    with running_server(tmp_path, env) as base_a, running_server(tmp_path, env) as base_b:
        async with AsyncClient(base_url=base_a) as a, AsyncClient(base_url=base_b) as b:
            email = unique_email()
            await register(a, email)
            tokens = await login(a, email)
            headers = bearer(tokens["access_token"])
            principal_path = "/v1/labeling/status/999999"
            assert (await a.get(principal_path, headers=headers)).status_code == 404  # cached
            out = await b.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
            assert out.status_code == 204
            # The announcement travels through Redis; wait for A to have heard it.
            deadline = time.monotonic() + 10
            while (response := await a.get(principal_path, headers=headers)).status_code == 404:
                assert time.monotonic() < deadline, "server A never heard of the logout"
                await anyio.sleep(0.02)
            assert response.status_code == 401
            assert response.json()["code"] == "session_ended"


async def test_logout_with_a_dead_refresh_token_ends_nothing(client: AsyncClient) -> None:
    """Whoever once held a refresh token (revoked, rotated or expired) must not keep a
    kill switch over the user's later sessions: such a logout is a 204 that ends nothing."""
    email = unique_email()
    await register(client, email)
    first = await login(client, email)
    out = await client.post("/v1/auth/logout", json={"refresh_token": first["refresh_token"]})
    assert out.status_code == 204
    rotated_away = await login(client, email)
    await client.post("/v1/auth/refresh", json={"refresh_token": rotated_away["refresh_token"]})

    current = await login(client, email)
    for dead in (first["refresh_token"], rotated_away["refresh_token"]):
        again = await client.post("/v1/auth/logout", json={"refresh_token": dead})
        assert again.status_code == 204
    me = await client.get("/v1/users/me", headers=bearer(current["access_token"]))
    assert me.status_code == 200, me.text
    refreshed = await client.post(
        "/v1/auth/refresh", json={"refresh_token": current["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
