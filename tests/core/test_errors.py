"""Every error is problem JSON with a stable code: unknown routes, wrong methods, bad JSON,
validation, oversized bodies, out-of-range ids and unexpected failures alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from backlot.app import create_app
from backlot.core.clock import FrozenClock
from backlot.core.errors import public_reason
from backlot.core.settings import Settings
from tests.helpers import PASSWORD, bearer, login, register, unique_email

PROBLEM = "application/problem+json"


def _assert_problem(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == PROBLEM  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str) and isinstance(body["detail"], str)
    return body


async def test_unknown_route(client: AsyncClient) -> None:
    _assert_problem(await client.get("/v1/nothing-here"), 404, "not_found")


async def test_wrong_method_lists_every_allowed_method(client: AsyncClient) -> None:
    _assert_problem(await client.delete("/v1/auth/login"), 405, "method_not_allowed")
    response = await client.put("/v1/users/1")
    _assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "DELETE, GET, PATCH"


async def test_malformed_json(client: AsyncClient) -> None:
    response = await client.post(
        "/v1/auth/register", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    _assert_problem(response, 400, "malformed_json")


async def test_validation_errors_list_fields_without_echoing_input(client: AsyncClient) -> None:
    response = await client.post(
        "/v1/auth/register", json={"email": "not-an-email", "password": "pw-Zq7", "extra": 1}
    )
    body = _assert_problem(response, 422, "validation_failed")
    errors = body["errors"]
    assert isinstance(errors, list)
    fields = {tuple(e["loc"]) for e in errors}
    assert ("body", "email") in fields and ("body", "password") in fields
    assert ("body", "extra") in fields  # unknown members are refused, not ignored
    assert "pw-Zq7" not in response.text  # the submitted password is never echoed


async def test_wrong_types(client: AsyncClient) -> None:
    response = await client.post("/v1/auth/register", json=["a", "list"])
    _assert_problem(response, 422, "validation_failed")
    response = await client.post("/v1/auth/login", json={"email": 5, "password": None})
    _assert_problem(response, 422, "validation_failed")


async def test_out_of_range_ids_are_4xx(client: AsyncClient) -> None:
    email = unique_email()
    await register(client, email)
    headers = bearer((await login(client, email))["access_token"])
    for path in ("/v1/users/99999999999999999999", "/v1/users/0"):
        _assert_problem(await client.get(path, headers=headers), 422, "validation_failed")
    _assert_problem(await client.get("/v1/users/abc", headers=headers), 404, "not_found")


async def test_oversized_body(client: AsyncClient) -> None:
    big = {"email": unique_email(), "password": "x" * 2_000_000}
    response = await client.post("/v1/auth/register", json=big)
    _assert_problem(response, 413, "payload_too_large")


async def test_bad_authorization_header(client: AsyncClient) -> None:
    response = await client.get("/v1/users/me", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    _assert_problem(response, 401, "not_authenticated")


@pytest.fixture
async def crashing_client(settings: Settings, clock: FrozenClock) -> AsyncIterator[AsyncClient]:
    app: FastAPI = create_app(settings, clock)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app, raise_app_exceptions=False)
        async with AsyncClient(transport=transport, base_url="http://t") as http:
            yield http


async def test_unexpected_error_is_problem_without_internals(crashing_client: AsyncClient) -> None:
    response = await crashing_client.get("/boom")
    _assert_problem(response, 500, "internal_error")
    assert "secret internals" not in response.text


async def test_conflict_carries_extra_members(client: AsyncClient) -> None:
    # Register no longer says an address is taken (enumeration); an admin renaming a
    # user to a taken address still does.
    email = unique_email()
    await register(client, email, "Acme")
    headers = bearer((await login(client, email))["access_token"])
    guest = await client.post(
        "/v1/users", json={"email": unique_email(), "password": PASSWORD}, headers=headers
    )
    response = await client.patch(
        f"/v1/users/{guest.json()['id']}", json={"email": email}, headers=headers
    )
    _assert_problem(response, 409, "email_taken")


async def test_oversized_chunked_body(client: AsyncClient) -> None:
    """No Content-Length: the body is counted as it streams and cut off at the limit."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "a@example.com", "password": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post(
        "/v1/auth/register", content=chunks(), headers={"content-type": "application/json"}
    )
    _assert_problem(response, 413, "payload_too_large")


async def test_control_characters_in_names_are_refused(client: AsyncClient) -> None:
    """PostgreSQL cannot store NUL in text: it must be a 422, not a 500, on every database."""
    for name in ("a\x00b", "bell\x07", "esc\x1b[31m"):
        response = await client.post(
            "/v1/auth/register",
            json={"email": unique_email(), "password": PASSWORD, "display_name": name},
        )
        _assert_problem(response, 422, "validation_failed")


def test_public_reason_drops_file_names_of_os_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        (tmp_path / "objects" / "data" / "missing").read_bytes()
    assert str(tmp_path) in str(caught.value)  # what str(exc) would have leaked
    assert public_reason(caught.value) == "FileNotFoundError: No such file or directory"
    assert public_reason(ValueError("bad audio")) == "bad audio"
    assert public_reason(TimeoutError()) == "TimeoutError"
