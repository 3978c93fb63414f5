"""REST under /v1/workspace/rooms on both databases: creating, listing, reading and
tenancy (history and restore with live sockets are in test_socket.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, insert, select, update

from backlot.core.settings import Settings
from backlot.core.state import AppState
from backlot.workspace import service
from backlot.workspace.models import WorkspaceSnapshot
from backlot.workspace.snapshots import store_snapshot, thin_snapshots
from tests.helpers import build_world


def app_state_of(app: FastAPI) -> AppState:
    state: AppState = app.state.backlot
    return state


async def test_rooms_create_get_and_list_by_visibility(
    client: AsyncClient, settings: Settings
) -> None:
    world = await build_world(client, settings)
    public = await client.post(
        "/v1/workspace/rooms",
        json={"room_id": "open-room", "title": "  Open  ", "max_users": 5},
        headers=world.guest.headers,
    )
    assert public.status_code == 201, public.text
    assert public.json() | {"created_at": None} == {
        "room_id": "open-room",
        "title": "Open",
        "max_users": 5,
        "visibility": "public",
        "corporation_id": None,
        "created_by_id": world.guest.id,
        "anonymous_edit": False,
        "version": 0,
        "created_at": None,
        "socket_path": "/ws/workspace/open-room/",
    }
    team = await client.post(
        "/v1/workspace/rooms",
        json={"title": "Team A", "visibility": "members"},
        headers=world.admin.headers,
    )
    assert team.status_code == 201
    team_id = team.json()["room_id"]
    assert len(team_id) >= 8 and team.json()["corporation_id"] == world.corp_a
    assert team.json()["max_users"] == 20

    def ids(response: object) -> list[str]:
        return [room["room_id"] for room in response.json()["items"]]  # type: ignore[attr-defined]

    assert ids(await client.get("/v1/workspace/rooms")) == ["open-room"]
    assert ids(await client.get("/v1/workspace/rooms", headers=world.guest.headers)) == [
        team_id,
        "open-room",
    ]
    assert ids(await client.get("/v1/workspace/rooms", headers=world.other_admin.headers)) == [
        "open-room"
    ]
    assert len(ids(await client.get("/v1/workspace/rooms", headers=world.superuser.headers))) == 2

    detail = await client.get(f"/v1/workspace/rooms/{team_id}", headers=world.guest.headers)
    assert detail.status_code == 200 and detail.json()["users"] == []
    for headers in ({}, world.other_admin.headers):
        for path in ("", "/snapshots", "/snapshots/1"):
            hidden = await client.get(f"/v1/workspace/rooms/{team_id}{path}", headers=headers)
            assert hidden.status_code == 404, (path, hidden.text)
            assert hidden.json()["code"] == "room_not_found"
        restore = await client.post(
            f"/v1/workspace/rooms/{team_id}/snapshots/1/restore",
            headers=headers or world.other_admin.headers,
        )
        assert restore.status_code == 404
    assert (await client.get("/v1/workspace/rooms/open-room")).json()["title"] == "Open"
    empty = await client.get("/v1/workspace/rooms/open-room/snapshots")
    assert empty.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    missing = await client.get("/v1/workspace/rooms/open-room/snapshots/3")
    assert (missing.status_code, missing.json()["code"]) == (404, "snapshot_not_found")


async def test_bad_room_requests_are_refused_without_leftovers(
    client: AsyncClient, settings: Settings
) -> None:
    world = await build_world(client, settings)
    headers = world.admin.headers
    for body in (
        {"title": ""},
        {"title": "x", "room_id": "has space"},
        {"title": "x", "room_id": "a" * 65},
        {"title": "x", "max_users": 0},
        {"title": "x", "max_users": "5"},
        {"title": "x", "visibility": "secret"},
        {"title": "x", "extra": 1},
        {"title": "bell\x07"},
        {"title": "x", "anonymous_edit": "yes"},
    ):
        refused = await client.post("/v1/workspace/rooms", json=body, headers=headers)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["code"] == "validation_failed"
    anonymous = await client.post("/v1/workspace/rooms", json={"title": "x"})
    assert anonymous.status_code == 401
    first = await client.post(
        "/v1/workspace/rooms", json={"title": "x", "room_id": "taken"}, headers=headers
    )
    assert first.status_code == 201
    again = await client.post(
        "/v1/workspace/rooms", json={"title": "y", "room_id": "taken"}, headers=headers
    )
    assert (again.status_code, again.json()["code"]) == (409, "room_exists")
    loner = await client.post(
        "/v1/workspace/rooms",
        json={"title": "z", "visibility": "members"},
        headers=world.superuser.headers,  # a superuser belongs to no corporation
    )
    assert (loner.status_code, loner.json()["code"]) == (400, "no_corporation")
    closed = await client.post(
        "/v1/workspace/rooms",
        json={"title": "z", "visibility": "members", "anonymous_edit": True},
        headers=headers,
    )
    assert (closed.status_code, closed.json()["code"]) == (400, "anonymous_edit_needs_public")
    rooms = await client.get("/v1/workspace/rooms", headers=world.superuser.headers)
    assert rooms.json()["total"] == 1
    bad_path = await client.get("/v1/workspace/rooms/bad.room")
    assert bad_path.status_code == 422


async def test_one_user_creates_a_bounded_number_of_rooms(
    client: AsyncClient, app: FastAPI, settings: Settings
) -> None:
    world = await build_world(client, settings)
    settings.workspace_max_rooms_per_user = 3  # the app reads its settings per request
    for n in range(3):
        made = await client.post(
            "/v1/workspace/rooms", json={"title": f"r{n}"}, headers=world.guest.headers
        )
        assert made.status_code == 201
    refused = await client.post(
        "/v1/workspace/rooms", json={"title": "one more"}, headers=world.guest.headers
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert (refused.json()["code"], refused.json()["max_rooms"]) == ("too_many_rooms", 3)
    others = await client.post(
        "/v1/workspace/rooms", json={"title": "theirs"}, headers=world.admin.headers
    )
    assert others.status_code == 201
    mine = await client.get("/v1/workspace/rooms", headers=world.superuser.headers)
    assert mine.json()["total"] == 4  # the refused one left nothing behind


async def _room_pk(app: FastAPI, room_id: str) -> int:
    async with app_state_of(app).sessionmaker() as session:
        room = await service.find_room(session, room_id)
        assert room is not None
        return room.id


async def test_rows_from_before_compression_stay_readable(
    client: AsyncClient, app: FastAPI, settings: Settings
) -> None:
    world = await build_world(client, settings)
    await client.post(
        "/v1/workspace/rooms", json={"title": "old", "room_id": "old"}, headers=world.guest.headers
    )
    pk = await _room_pk(app, "old")
    async with app_state_of(app).sessionmaker() as session:
        # What 0005 wrote and 0008 left alone: plain XML, no digest.
        await session.execute(
            insert(WorkspaceSnapshot).values(
                room_id=pk, version=1, xml="<legacy/>", author="ada", size=9, stored_bytes=9
            )
        )
        await session.commit()
    one = await client.get("/v1/workspace/rooms/old/snapshots/1")
    assert (one.json()["xml"], one.json()["size"]) == ("<legacy/>", 9)


async def test_retention_keeps_the_last_day_then_hourly_then_daily(
    client: AsyncClient, app: FastAPI, settings: Settings
) -> None:
    world = await build_world(client, settings)
    await client.post(
        "/v1/workspace/rooms",
        json={"title": "kept", "room_id": "kept"},
        headers=world.guest.headers,
    )
    pk = await _room_pk(app, "kept")
    now = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
    ages = [
        timedelta(minutes=5),  # the last day: all kept
        timedelta(minutes=50),
        timedelta(hours=23),
        timedelta(days=2, minutes=10),  # one hour of day 2: the newest stays
        timedelta(days=2, minutes=20),
        timedelta(days=2, minutes=30),
        timedelta(days=3),  # another hour: stays
        timedelta(days=20, hours=1),  # one day of the past: the newest stays
        timedelta(days=20, hours=2),
        timedelta(days=30),  # another day: stays
    ]
    state = app_state_of(app)
    async with state.sessionmaker() as session:
        for version, age in enumerate(reversed(ages), start=1):  # oldest is version 1
            xml = f"<v{version}/>"
            await store_snapshot(session, pk, version, xml, "ada", None, quota=10**9)
            await session.execute(
                update(WorkspaceSnapshot)
                .where(WorkspaceSnapshot.room_id == pk, WorkspaceSnapshot.version == version)
                .values(created_at=now - age)
            )
        await session.commit()
    async with state.sessionmaker() as session:
        assert await thin_snapshots(session, now, settings) == 3
        await session.commit()
    history = await client.get("/v1/workspace/rooms/kept/snapshots")
    kept = [item["version"] for item in history.json()["items"]]
    # versions by age: 10 newest (5 min) ... 1 oldest (30 days)
    assert kept == [10, 9, 8, 7, 4, 3, 1]
    async with state.sessionmaker() as session:
        left = await session.scalar(
            select(func.sum(WorkspaceSnapshot.stored_bytes)).where(WorkspaceSnapshot.room_id == pk)
        )
        room = await service.find_room(session, "kept")
        assert room is not None and room.snapshot_bytes == left
        assert await thin_snapshots(session, now, settings) == 0  # settled
