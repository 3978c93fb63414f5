"""Permission matrix: each accounts route x (anonymous, guest, admin, other corporation's
admin, superuser) -> expected status. Guest and admin belong to corporation A; the target
rows (guest, corporation A) are A's, so the other admin must get 404, never 403."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from backlot.core.settings import Settings
from tests.helpers import PASSWORD, World, build_world, unique_email

ACTORS = ["anonymous", "guest", "admin", "other_admin", "superuser"]
FUTURE = "2099-01-01T00:00:00Z"

# (name, method, path, body, expected statuses in ACTORS order)
MATRIX: list[tuple[str, str, str, Any, tuple[int, ...]]] = [
    ("me", "GET", "/v1/users/me", None, (401, 200, 200, 200, 200)),
    ("update me", "PATCH", "/v1/users/me", {"display_name": "Me"}, (401, 200, 200, 200, 200)),
    ("list users", "GET", "/v1/users", None, (401, 403, 200, 200, 200)),
    ("create user", "POST", "/v1/users", "new-user", (401, 403, 201, 201, 201)),
    ("create user in A", "POST", "/v1/users", "new-user-in-a", (401, 403, 201, 404, 201)),
    ("read guest", "GET", "/v1/users/{guest}", None, (401, 200, 200, 404, 200)),
    ("read admin", "GET", "/v1/users/{admin}", None, (401, 403, 200, 404, 200)),
    (
        "update guest",
        "PATCH",
        "/v1/users/{guest}",
        {"display_name": "G"},
        (401, 403, 200, 404, 200),
    ),
    ("promote guest", "PATCH", "/v1/users/{guest}", {"role": "admin"}, (401, 403, 200, 404, 200)),
    ("delete guest", "DELETE", "/v1/users/{guest}", None, (401, 403, 204, 404, 204)),
    ("delete last admin", "DELETE", "/v1/users/{admin}", None, (401, 403, 409, 404, 409)),
    ("missing user", "GET", "/v1/users/999999", None, (401, 404, 404, 404, 404)),
    ("list corporations", "GET", "/v1/corporations", None, (401, 403, 200, 200, 200)),
    ("create corporation", "POST", "/v1/corporations", {"name": "New"}, (401, 403, 403, 403, 201)),
    ("read corporation A", "GET", "/v1/corporations/{corp_a}", None, (401, 403, 200, 404, 200)),
    (
        "rename corporation A",
        "PATCH",
        "/v1/corporations/{corp_a}",
        {"name": "A2"},
        (401, 403, 200, 404, 200),
    ),
    (
        "set plan of A",
        "PATCH",
        "/v1/corporations/{corp_a}",
        {"plan_type": "paid", "plan_expired_at": FUTURE},
        (401, 403, 403, 404, 200),
    ),
    (
        "delete corporation A",
        "DELETE",
        "/v1/corporations/{corp_a}",
        None,
        (401, 403, 403, 404, 409),
    ),
    ("missing corporation", "GET", "/v1/corporations/999999", None, (401, 404, 404, 404, 404)),
]


def _body(template: Any, world: World) -> Any:
    if template == "new-user":
        return {"email": unique_email(), "password": PASSWORD}
    if template == "new-user-in-a":
        return {"email": unique_email(), "password": PASSWORD, "corporation_id": world.corp_a}
    return template


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [pytest.param(m, p, b, e, id=name) for name, m, p, b, e in MATRIX],
)
async def test_permission_matrix(
    client: AsyncClient,
    settings: Settings,
    actor: str,
    method: str,
    path: str,
    body: Any,
    expected: tuple[int, ...],
) -> None:
    world = await build_world(client, settings)
    url = path.format(guest=world.guest.id, admin=world.admin.id, corp_a=world.corp_a)
    headers = {} if actor == "anonymous" else getattr(world, actor).headers
    response = await client.request(method, url, json=_body(body, world), headers=headers)
    want = expected[ACTORS.index(actor)]
    assert response.status_code == want, response.text
    if want >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == want


async def test_lists_are_scoped_to_the_callers_corporation(
    client: AsyncClient, settings: Settings
) -> None:
    world = await build_world(client, settings)
    mine = (await client.get("/v1/users", headers=world.admin.headers)).json()
    theirs = (await client.get("/v1/users", headers=world.other_admin.headers)).json()
    everyone = (await client.get("/v1/users", headers=world.superuser.headers)).json()
    assert {u["id"] for u in mine["items"]} == {world.admin.id, world.guest.id}
    assert {u["id"] for u in theirs["items"]} == {world.other_admin.id}
    assert {u["corporation_id"] for u in mine["items"]} == {world.corp_a}
    assert everyone["total"] == 4
    corps = (await client.get("/v1/corporations", headers=world.other_admin.headers)).json()
    assert [c["id"] for c in corps["items"]] == [world.corp_b]
    # Asking for another corporation's users by filter is a 404, not an empty list.
    peek = await client.get(
        f"/v1/users?corporation_id={world.corp_a}", headers=world.other_admin.headers
    )
    assert peek.status_code == 404


async def test_admin_creates_users_only_in_own_corporation(
    client: AsyncClient, settings: Settings
) -> None:
    world = await build_world(client, settings)
    created = await client.post(
        "/v1/users",
        json={"email": unique_email(), "password": PASSWORD, "role": "admin"},
        headers=world.other_admin.headers,
    )
    assert created.status_code == 201
    assert created.json()["corporation_id"] == world.corp_b
    assert created.json()["role"] == "admin"


async def test_superuser_deletes_empty_corporation(client: AsyncClient, settings: Settings) -> None:
    world = await build_world(client, settings)
    made = await client.post(
        "/v1/corporations", json={"name": "Empty"}, headers=world.superuser.headers
    )
    corp_id = made.json()["id"]
    assert (
        await client.delete(f"/v1/corporations/{corp_id}", headers=world.superuser.headers)
    ).status_code == 204
    assert (
        await client.get(f"/v1/corporations/{corp_id}", headers=world.superuser.headers)
    ).status_code == 404


async def test_last_admin_cannot_demote_self(client: AsyncClient, settings: Settings) -> None:
    world = await build_world(client, settings)
    response = await client.patch(
        f"/v1/users/{world.admin.id}", json={"role": "guest"}, headers=world.admin.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"
