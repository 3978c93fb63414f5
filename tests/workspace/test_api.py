"""REST under /v1/workspace/rooms on both databases: creating, listing, reading and
tenancy (history and restore with live sockets are in test_socket.py)."""

from __future__ import annotations

from httpx import AsyncClient

from backlot.settings import Settings
from tests.helpers import build_world


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
    rooms = await client.get("/v1/workspace/rooms", headers=world.superuser.headers)
    assert rooms.json()["total"] == 1
    bad_path = await client.get("/v1/workspace/rooms/bad.room")
    assert bad_path.status_code == 422
