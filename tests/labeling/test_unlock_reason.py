"""A forced unlock may say why: the admin's `reason` is kept in the audit trail (as the
event's `note`; the event's `reason` stays the machine word `forced`). A reason that is
too long, unstorable, or sent without `force` is refused and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from backlot.core.settings import Settings
from tests.helpers import World, build_world

REASON_MAX = 200


@pytest.fixture
async def world(client: AsyncClient, settings: Settings) -> World:
    return await build_world(client, settings)


async def _guest_holds_a_file(client: AsyncClient, world: World) -> int:
    created = await client.post(
        "/v1/labeling/projects", json={"name": "Cats"}, headers=world.admin.headers
    )
    project = int(created.json()["id"])
    taken = await client.post(
        "/v1/labeling/lock",
        json={"project_id": project, "file_name": "a.jpg"},
        headers=world.guest.headers,
    )
    assert taken.status_code == 200, taken.text
    return project


async def _unlock(client: AsyncClient, world: World, project: int, **extra: Any) -> Any:
    return await client.post(
        "/v1/labeling/unlock",
        json={"project_id": project, "file_name": "a.jpg", **extra},
        headers=world.admin.headers,
    )


async def _trail(client: AsyncClient, world: World, project: int) -> list[dict[str, Any]]:
    answer = await client.get(
        f"/v1/labeling/projects/{project}/lock-events", headers=world.admin.headers
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


async def _locked(client: AsyncClient, world: World, project: int) -> list[str]:
    status = await client.get(f"/v1/labeling/status/{project}", headers=world.admin.headers)
    return [lock["file"] for lock in status.json()["locks"]]


async def test_a_forced_unlock_keeps_its_reason_in_the_audit_trail(
    client: AsyncClient, world: World
) -> None:
    project = await _guest_holds_a_file(client, world)
    forced = await _unlock(client, world, project, force=True, reason="  Left for the day  ")
    assert forced.status_code == 204, forced.text
    assert await _locked(client, world, project) == []
    released, acquired = await _trail(client, world, project)
    assert (released["action"], released["reason"]) == ("released", "forced")
    assert released["note"] == "Left for the day"  # trimmed
    assert released["actor_id"] == world.admin.id
    assert released["holder_id"] == world.guest.id
    assert acquired["note"] is None


async def test_a_forced_unlock_without_a_reason_has_no_note(
    client: AsyncClient, world: World
) -> None:
    project = await _guest_holds_a_file(client, world)
    assert (await _unlock(client, world, project, force=True)).status_code == 204
    released = (await _trail(client, world, project))[0]
    assert (released["reason"], released["note"]) == ("forced", None)


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        ({"force": True, "reason": "x" * (REASON_MAX + 1)}, "too long"),
        ({"force": True, "reason": "   "}, "blank"),
        ({"force": True, "reason": "bad\x00byte"}, "unstorable"),
        ({"force": True, "reason": 42}, "not text"),
        ({"reason": "mine anyway"}, "without force"),
    ],
)
async def test_a_bad_reason_is_refused_and_the_lock_stays(
    client: AsyncClient, world: World, extra: dict[str, Any], why: str
) -> None:
    project = await _guest_holds_a_file(client, world)
    refused = await _unlock(client, world, project, **extra)
    assert refused.status_code == 422, (why, refused.text)
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert await _locked(client, world, project) == ["a.jpg"]
    assert [row["action"] for row in await _trail(client, world, project)] == ["acquired"]


async def test_the_longest_reason_is_kept_whole(client: AsyncClient, world: World) -> None:
    project = await _guest_holds_a_file(client, world)
    reason = "이유" * (REASON_MAX // 2)
    assert (await _unlock(client, world, project, force=True, reason=reason)).status_code == 204
    assert (await _trail(client, world, project))[0]["note"] == reason


async def test_a_member_cannot_force_even_with_a_reason(client: AsyncClient, world: World) -> None:
    project = await _guest_holds_a_file(client, world)
    refused = await client.post(
        "/v1/labeling/unlock",
        json={"project_id": project, "file_name": "a.jpg", "force": True, "reason": "mine"},
        headers=world.guest.headers,
    )
    assert refused.status_code == 403
    assert await _locked(client, world, project) == ["a.jpg"]
