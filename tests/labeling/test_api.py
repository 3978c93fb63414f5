"""Labeling over REST: projects, files, lock/unlock/status/heartbeat, audit, expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from backlot.core.clock import FrozenClock
from backlot.core.settings import Settings
from backlot.core.state import AppState
from backlot.labeling.events import project_channel
from backlot.labeling.runtime import LabelingRuntime
from tests.helpers import PASSWORD, Actor, World, bearer, build_world, login, unique_email


async def _project(client: AsyncClient, world: World, name: str = "Cats") -> int:
    response = await client.post(
        "/v1/labeling/projects", json={"name": name}, headers=world.admin.headers
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _second_guest(client: AsyncClient, world: World) -> Actor:
    email = unique_email("labeler")
    made = await client.post(
        "/v1/users", json={"email": email, "password": PASSWORD}, headers=world.admin.headers
    )
    tokens = await login(client, email)
    return Actor(made.json()["id"], email, bearer(tokens["access_token"]))


async def _lock(client: AsyncClient, actor: Actor, project: int, file: str, **extra: Any) -> Any:
    return await client.post(
        "/v1/labeling/lock",
        json={"project_id": project, "file_name": file, **extra},
        headers=actor.headers,
    )


@pytest.fixture
async def world(client: AsyncClient, settings: Settings) -> World:
    return await build_world(client, settings)


async def test_projects_are_per_corporation(client: AsyncClient, world: World) -> None:
    project = await _project(client, world)
    guest_list = await client.get("/v1/labeling/projects", headers=world.guest.headers)
    assert [p["id"] for p in guest_list.json()["items"]] == [project]
    other = await client.get(f"/v1/labeling/projects/{project}", headers=world.other_admin.headers)
    assert other.status_code == 404
    denied = await client.post(
        "/v1/labeling/projects", json={"name": "Dogs"}, headers=world.guest.headers
    )
    assert denied.status_code == 403
    dup = await client.post(
        "/v1/labeling/projects", json={"name": "Cats"}, headers=world.admin.headers
    )
    assert dup.status_code == 409
    assert dup.json()["code"] == "project_exists"
    theirs = await _lock(client, world.other_admin, project, "a.jpg")
    assert theirs.status_code == 404


async def test_lock_held_names_holder_and_time_left(
    client: AsyncClient, world: World, clock: FrozenClock
) -> None:
    project = await _project(client, world)
    first = await _lock(client, world.guest, project, "image1.jpg")
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["file"] == "image1.jpg"
    assert body["user_id"] == world.guest.id
    assert body["expires_in_ms"] == 60_000
    clock.advance(timedelta(seconds=19))
    second = await _lock(client, world.admin, project, "image1.jpg")
    assert second.status_code == 409
    problem = second.json()
    assert problem["code"] == "lock_held"
    assert problem["locked_by_id"] == world.guest.id
    assert problem["expires_in_ms"] == 41_000
    assert problem["locked_by"] in problem["detail"]


async def test_one_file_per_user_and_switch(client: AsyncClient, world: World) -> None:
    project = await _project(client, world)
    assert (await _lock(client, world.guest, project, "a.jpg")).status_code == 200
    limit = await _lock(client, world.guest, project, "b.jpg")
    assert limit.status_code == 409
    assert limit.json()["code"] == "owner_limit"
    assert limit.json()["held_file"] == "a.jpg"
    switched = await _lock(client, world.guest, project, "b.jpg", switch=True)
    assert switched.status_code == 200
    status = await client.get(f"/v1/labeling/status/{project}", headers=world.guest.headers)
    assert [lock["file"] for lock in status.json()["locks"]] == ["b.jpg"]


async def test_unlock_only_by_holder_or_forced_by_admin(client: AsyncClient, world: World) -> None:
    project = await _project(client, world)
    other = await _second_guest(client, world)
    await _lock(client, world.guest, project, "a.jpg")
    body = {"project_id": project, "file_name": "a.jpg"}
    not_mine = await client.post("/v1/labeling/unlock", json=body, headers=other.headers)
    assert not_mine.status_code == 403
    assert not_mine.json()["code"] == "not_lock_owner"
    guest_force = await client.post(
        "/v1/labeling/unlock", json={**body, "force": True}, headers=other.headers
    )
    assert guest_force.status_code == 403
    forced = await client.post(
        "/v1/labeling/unlock", json={**body, "force": True}, headers=world.admin.headers
    )
    assert forced.status_code == 204
    again = await client.post("/v1/labeling/unlock", json=body, headers=world.guest.headers)
    assert again.status_code == 404
    assert again.json()["code"] == "not_locked"
    trail = await client.get(
        f"/v1/labeling/projects/{project}/lock-events", headers=world.admin.headers
    )
    rows = trail.json()["items"]
    assert [(r["action"], r["reason"]) for r in rows] == [
        ("released", "forced"),
        ("acquired", None),
    ]
    assert rows[0]["actor_id"] == world.admin.id
    assert rows[0]["holder_id"] == world.guest.id
    hidden = await client.get(
        f"/v1/labeling/projects/{project}/lock-events", headers=world.guest.headers
    )
    assert hidden.status_code == 403


async def test_heartbeat_keeps_a_lock_alive_across_ttls(
    client: AsyncClient, world: World, clock: FrozenClock
) -> None:
    project = await _project(client, world)
    await _lock(client, world.guest, project, "a.jpg")
    for _ in range(3):
        clock.advance(timedelta(seconds=50))
        fresh = await login(client, world.guest.email)  # access tokens last 15 min
        world.guest.headers = bearer(fresh["access_token"])
        beat = await client.post(
            "/v1/labeling/heartbeat", json={"project_id": project}, headers=world.guest.headers
        )
        assert [lock["file"] for lock in beat.json()["renewed"]] == ["a.jpg"]
    clock.advance(timedelta(seconds=59))
    still = await client.get(f"/v1/labeling/status/{project}", headers=world.guest.headers)
    assert [lock["file"] for lock in still.json()["locks"]] == ["a.jpg"]
    clock.advance(timedelta(seconds=1))  # no heartbeat for a whole TTL: it lapses
    gone = await client.get(f"/v1/labeling/status/{project}", headers=world.guest.headers)
    assert gone.json()["locks"] == []


async def test_expiry_is_announced_exactly_once(
    client: AsyncClient, app: FastAPI, world: World, clock: FrozenClock
) -> None:
    project = await _project(client, world)
    await _lock(client, world.guest, project, "a.jpg")
    state: AppState = app.state.backlot
    runtime = state.runtimes.get(LabelingRuntime)
    channel = project_channel(project)
    assert await state.bus.last_seq(channel) == 1  # lock_acquired
    clock.advance(timedelta(seconds=61))
    assert await runtime.sweep_once() == 1
    assert await runtime.sweep_once() == 0
    events = await state.bus.since(channel, 0)
    assert events is not None
    assert [(e.type, e.data.get("reason")) for e in events] == [
        ("lock_acquired", None),
        ("lock_released", "expired"),
    ]
    assert events[1].data["file"] == "a.jpg"
    # The lapsed file is free for the next person at once.
    fresh = bearer((await login(client, world.admin.email))["access_token"])
    taken = await client.post(
        "/v1/labeling/lock", json={"project_id": project, "file_name": "a.jpg"}, headers=fresh
    )
    assert taken.status_code == 200


async def test_status_and_files_show_locks_and_seq(client: AsyncClient, world: World) -> None:
    project = await _project(client, world)
    for name in ("b.jpg", "a.jpg"):
        made = await client.post(
            f"/v1/labeling/projects/{project}/files",
            json={"name": name},
            headers=world.guest.headers,
        )
        assert made.status_code == 201
    await _lock(client, world.guest, project, "a.jpg")
    await _lock(client, world.admin, project, "unregistered.png")  # as the seed allows
    status = await client.get(f"/v1/labeling/status/{project}", headers=world.guest.headers)
    assert status.json()["seq"] == 2
    assert {lock["file"] for lock in status.json()["locks"]} == {"a.jpg", "unregistered.png"}
    files = await client.get(f"/v1/labeling/projects/{project}/files", headers=world.guest.headers)
    listed = {f["name"]: f["lock"] for f in files.json()["items"]}
    assert listed["b.jpg"] is None
    assert listed["a.jpg"]["user_id"] == world.guest.id


@pytest.mark.parametrize(
    "name", ["../etc/passwd", "dir/file.jpg", "back\\slash.jpg", "nul\x00.jpg", "", " ", "x" * 300]
)
async def test_bad_file_names_are_refused(client: AsyncClient, world: World, name: str) -> None:
    project = await _project(client, world)
    response = await _lock(client, world.guest, project, name)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


async def test_missing_and_wrong_fields(client: AsyncClient, world: World) -> None:
    for body in ({}, {"project_id": "x", "file_name": "a"}, {"project_id": 1}, [1, 2]):
        response = await client.post("/v1/labeling/lock", json=body, headers=world.guest.headers)
        assert response.status_code == 422
    unknown = await _lock(client, world.guest, 999999, "a.jpg")
    assert unknown.status_code == 404


async def test_role_and_membership_changes_apply_at_once(client: AsyncClient, world: World) -> None:
    """Lock routes reuse a cached principal; a change in this process drops it at once."""
    project = await _project(client, world)
    other = await _second_guest(client, world)
    await _lock(client, other, project, "a.jpg")
    body = {"project_id": project, "file_name": "a.jpg", "force": True}
    refused = await client.post("/v1/labeling/unlock", json=body, headers=world.guest.headers)
    assert refused.status_code == 403
    promoted = await client.patch(
        f"/v1/users/{world.guest.id}", json={"role": "admin"}, headers=world.admin.headers
    )
    assert promoted.status_code == 200, promoted.text
    # A role change ends the user's sessions: the old token is refused at once...
    stale = await client.post("/v1/labeling/unlock", json=body, headers=world.guest.headers)
    assert (stale.status_code, stale.json()["code"]) == (401, "session_ended")
    # ...and a new sign-in acts with the new role at once.
    fresh = bearer((await login(client, world.guest.email))["access_token"])
    forced = await client.post("/v1/labeling/unlock", json=body, headers=fresh)
    assert forced.status_code == 204, forced.text
    gone = await client.delete(f"/v1/users/{other.id}", headers=world.admin.headers)
    assert gone.status_code == 204, gone.text
    locked = await _lock(client, other, project, "b.jpg")
    assert locked.status_code == 401
    assert locked.json()["code"] == "invalid_token"


async def test_deleted_project_refuses_locks_and_keeps_no_audit(
    client: AsyncClient, world: World, app: FastAPI
) -> None:
    project = await _project(client, world)
    assert (await _lock(client, world.guest, project, "a.jpg")).status_code == 200
    deleted = await client.delete(f"/v1/labeling/projects/{project}", headers=world.admin.headers)
    assert deleted.status_code == 204
    after = await _lock(client, world.guest, project, "a.jpg")
    assert after.status_code == 404
    state: AppState = app.state.backlot
    runtime = state.runtimes.get(LabelingRuntime)
    await runtime.journal.flush()  # rows queued for the deleted project are dropped, not failed
    status = await client.get(f"/v1/labeling/status/{project}", headers=world.guest.headers)
    assert status.status_code == 404
