"""Plans: the effective plan is computed from the clock, never stale."""

from __future__ import annotations

from datetime import timedelta

from httpx import AsyncClient

from backlot.core.clock import FrozenClock
from backlot.core.settings import Settings
from tests.helpers import bearer, build_world, login, register


async def test_effective_plan_follows_the_clock(
    client: AsyncClient, settings: Settings, clock: FrozenClock
) -> None:
    world = await build_world(client, settings)
    ends = clock.now() + timedelta(days=30)
    response = await client.patch(
        f"/v1/corporations/{world.corp_a}",
        json={"plan_type": "paid", "plan_expired_at": ends.isoformat()},
        headers=world.superuser.headers,
    )
    assert response.status_code == 200
    assert response.json()["effective_plan"] == "paid"

    clock.advance(timedelta(days=30))  # the very instant it ends
    headers = bearer((await login(client, world.superuser.email))["access_token"])
    read = await client.get(f"/v1/corporations/{world.corp_a}", headers=headers)
    body = read.json()
    assert read.status_code == 200, body
    assert body["plan_type"] == "paid"
    assert body["effective_plan"] == "free"


async def test_paid_plan_needs_an_expiry(client: AsyncClient, settings: Settings) -> None:
    world = await build_world(client, settings)
    response = await client.patch(
        f"/v1/corporations/{world.corp_a}",
        json={"plan_type": "paid"},
        headers=world.superuser.headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "plan_expiry_required"
    created = await client.post(
        "/v1/corporations",
        json={"name": "X", "plan_type": "paid", "plan_expired_at": "2030-01-01T00:00:00"},
        headers=world.superuser.headers,
    )
    assert created.status_code == 422  # a naive time is ambiguous: refused
    assert created.json()["code"] == "validation_failed"


async def test_admin_renames_but_cannot_set_plan(client: AsyncClient, settings: Settings) -> None:
    world = await build_world(client, settings)
    renamed = await client.patch(
        f"/v1/corporations/{world.corp_a}",
        json={"name": "  Renamed  "},
        headers=world.admin.headers,
    )
    assert renamed.json()["name"] == "Renamed"
    plan = await client.patch(
        f"/v1/corporations/{world.corp_a}",
        json={"name": "Sneaky", "plan_expired_at": "2099-01-01T00:00:00Z"},
        headers=world.admin.headers,
    )
    assert plan.status_code == 403
    assert plan.json()["code"] == "plan_change_forbidden"
    read = await client.get(f"/v1/corporations/{world.corp_a}", headers=world.admin.headers)
    assert read.json()["name"] == "Renamed"  # the refused request changed nothing


async def test_every_member_sees_their_corporation_name_and_plan_on_me(
    client: AsyncClient, settings: Settings
) -> None:
    """The pages' header names the company for guests too, who may not read the
    corporation itself; a personal account has none."""
    world = await build_world(client, settings)
    forbidden = await client.get(f"/v1/corporations/{world.corp_a}", headers=world.guest.headers)
    assert forbidden.status_code == 403
    me = (await client.get("/v1/users/me", headers=world.guest.headers)).json()
    assert me["corporation"]["id"] == world.corp_a
    assert me["corporation"]["effective_plan"] == "free"
    admin = await client.get(f"/v1/corporations/{world.corp_a}", headers=world.admin.headers)
    assert me["corporation"]["name"] == admin.json()["name"]
    other = (await client.get("/v1/users/me", headers=world.other_admin.headers)).json()
    assert other["corporation"]["id"] == world.corp_b
    personal = await register(client, "solo-me@example.com")
    assert personal["corporation"] is None
