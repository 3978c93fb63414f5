"""Browser sessions: the refresh token in an HttpOnly, SameSite=Strict cookie scoped to
/v1/auth/browser, the access token in the answer only; refresh rotates the cookie, a
reused one ends the session, sign-out clears it, and a request without the session
header (what a form on another site would send) is refused."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response

from backlot.app import create_app
from backlot.core.clock import FrozenClock
from backlot.core.settings import Settings
from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, bearer, register, unique_email

PAGE = {"X-Backlot-Session": "browser"}


def _cookie(response: Response) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return jar


async def _signed_in(client: AsyncClient) -> tuple[str, Response]:
    email = unique_email("browser")
    await register(client, email, "Browser Co")
    response = await client.post(
        "/v1/auth/browser/login", json={"email": email, "password": PASSWORD}, headers=PAGE
    )
    assert response.status_code == 200, response.text
    return email, response


async def test_sign_in_keeps_the_refresh_token_in_a_strict_http_only_cookie(
    client: AsyncClient,
) -> None:
    _, response = await _signed_in(client)
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}  # no refresh token
    cookie = _cookie(response)["backlot_refresh"]
    assert cookie.value and cookie["httponly"] and cookie["path"] == "/v1/auth/browser"
    assert cookie["samesite"].lower() == "strict"
    assert not cookie["secure"]  # plain http here; see the https test
    # The pages' marker: readable, site-wide, and only "1" (no secret in it).
    marker = _cookie(response)["backlot_session"]
    assert (marker.value, marker["path"], marker["httponly"]) == ("1", "/", "")
    me = await client.get("/v1/users/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200


async def test_refresh_rotates_the_cookie_and_a_reused_one_ends_the_session(
    client: AsyncClient, clock: FrozenClock, settings: Settings
) -> None:
    _, signed_in = await _signed_in(client)
    first = _cookie(signed_in)["backlot_refresh"].value
    refreshed = await client.post("/v1/auth/browser/refresh", headers=PAGE)
    assert refreshed.status_code == 200, refreshed.text
    second = _cookie(refreshed)["backlot_refresh"].value
    assert second != first
    assert (
        await client.get("/v1/users/me", headers=bearer(refreshed.json()["access_token"]))
    ).status_code == 200
    # The first cookie again, after the grace two tabs get: stolen, so the session ends.
    clock.advance(timedelta(seconds=settings.refresh_reuse_grace_seconds + 1))
    client.cookies.set("backlot_refresh", first, path="/v1/auth/browser")
    reused = await client.post("/v1/auth/browser/refresh", headers=PAGE)
    assert (reused.status_code, reused.json()["code"]) == (401, "refresh_token_reused")
    assert 'backlot_refresh=""' in reused.headers["set-cookie"]  # cleared
    client.cookies.set("backlot_refresh", second, path="/v1/auth/browser")
    revoked = await client.post("/v1/auth/browser/refresh", headers=PAGE)
    assert revoked.status_code == 401


async def test_sign_out_ends_the_session_and_clears_the_cookie(client: AsyncClient) -> None:
    _, signed_in = await _signed_in(client)
    token = signed_in.json()["access_token"]
    out = await client.post("/v1/auth/browser/logout", headers=PAGE)
    assert out.status_code == 204
    assert 'backlot_refresh=""' in out.headers["set-cookie"]
    assert "backlot_refresh" not in client.cookies
    assert "backlot_session" not in client.cookies
    again = await client.post("/v1/auth/browser/refresh", headers=PAGE)
    assert (again.status_code, again.json()["code"]) == (401, "not_signed_in")
    # Sign-out ends the access tokens issued before, as /v1/auth/logout does.
    assert (await client.get("/v1/users/me", headers=bearer(token))).status_code == 401
    assert (await client.post("/v1/auth/browser/logout", headers=PAGE)).status_code == 204


async def test_without_the_session_header_nothing_happens(client: AsyncClient) -> None:
    email, _ = await _signed_in(client)
    for path in ("refresh", "logout"):
        refused = await client.post(f"/v1/auth/browser/{path}")
        assert (refused.status_code, refused.json()["code"]) == (403, "session_header_missing")
    login = await client.post("/v1/auth/browser/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 403
    assert (await client.post("/v1/auth/browser/refresh", headers=PAGE)).status_code == 200


async def test_bad_credentials_set_no_cookie(client: AsyncClient) -> None:
    email, _ = await _signed_in(client)
    client.cookies.clear()
    wrong = await client.post(
        "/v1/auth/browser/login", json={"email": email, "password": "not it at all"}, headers=PAGE
    )
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_credentials")
    assert "set-cookie" not in wrong.headers


@pytest.fixture
async def https_app(database_url: str, tmp_path: Path, clock: FrozenClock) -> FastAPI:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        var_dir=tmp_path / "var",
        public_url="https://backlot.example",
    )
    return create_app(settings, clock)


async def test_behind_https_the_cookie_is_secure(https_app: FastAPI) -> None:
    async with https_app.router.lifespan_context(https_app):
        transport = ASGITransport(app=https_app)
        async with AsyncClient(transport=transport, base_url="https://testserver") as client:
            _, response = await _signed_in(client)
    assert _cookie(response)["backlot_refresh"]["secure"]
