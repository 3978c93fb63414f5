"""Weak passwords are refused everywhere a password is set, with a reason people read."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from backlot.accounts.superuser import create_superuser
from backlot.core.settings import Settings
from tests.helpers import PASSWORD, bearer, login, register, unique_email


@pytest.mark.parametrize(
    ("password", "why"),
    [
        (" " * 8, "too short"),
        (" " * 12, "only spaces"),
        ("password123", "common"),
        ("qwertyuiop", "keyboard walk"),
        ("aaaaaaaaaaaa", "repeats"),
        ("0" * 100, "long repeats (zxcvbn refuses over 72 characters: no 500)"),
    ],
)
async def test_register_refuses_weak_passwords(
    client: AsyncClient, password: str, why: str
) -> None:
    response = await client.post(
        "/v1/auth/register", json={"email": unique_email(), "password": password}
    )
    assert response.status_code == 422, why
    body = response.json()
    assert body["code"] in ("validation_failed", "weak_password")
    assert body["errors"][0]["loc"][-1] == "password"
    assert body["errors"][0]["msg"]


async def test_password_made_of_own_email_is_refused(client: AsyncClient) -> None:
    email = "marguerite.duras@example.com"
    response = await client.post(
        "/v1/auth/register",
        json={"email": email, "password": "marguerite.duras", "display_name": "Marguerite"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "weak_password"
    assert "stronger password" in response.json()["detail"]


async def test_tests_password_is_strong_enough(client: AsyncClient) -> None:
    await register(client, unique_email())  # PASSWORD, "correct horse battery"


async def test_password_change_and_admin_set_refuse_weak_passwords(client: AsyncClient) -> None:
    email = unique_email("admin")
    admin = await register(client, email, "Acme")
    headers = bearer((await login(client, email))["access_token"])
    mine = await client.patch(
        "/v1/users/me",
        json={"password": "password123", "current_password": PASSWORD},
        headers=headers,
    )
    assert mine.status_code == 422
    assert mine.json()["code"] == "weak_password"
    created = await client.post(
        "/v1/users", json={"email": unique_email(), "password": "1234567890"}, headers=headers
    )
    assert created.status_code == 422
    guest = await client.post(
        "/v1/users", json={"email": unique_email(), "password": PASSWORD}, headers=headers
    )
    reset = await client.patch(
        f"/v1/users/{guest.json()['id']}", json={"password": "password123"}, headers=headers
    )
    assert reset.status_code == 422
    assert admin["role"] == "admin"


async def test_createsuperuser_refuses_weak_passwords(settings: Settings, app: object) -> None:
    with pytest.raises(ValueError, match="stronger password"):
        await create_superuser(settings, unique_email("root"), "password123", None)
