"""The room list the workspace page draws: each room says how many people are in it now
(`online`) and whether the asker may rename, resize and delete it (`can_manage`), the
same rule PATCH and DELETE enforce."""

from __future__ import annotations

import httpx
from httpx import AsyncClient

from backlot.core.settings import Settings
from tests.helpers import build_world
from tests.workspace.conftest import access_token, member, open_room
from tests.workspace.peers import joined


async def test_each_room_says_who_may_manage_it(client: AsyncClient, settings: Settings) -> None:
    world = await build_world(client, settings)
    for body, headers in (
        ({"room_id": "guests", "title": "G", "visibility": "members"}, world.guest.headers),
        ({"room_id": "open", "title": "O"}, world.other_admin.headers),
    ):
        made = await client.post("/v1/workspace/rooms", json=body, headers=headers)
        assert made.status_code == 201, made.text

    async def manageable(headers: dict[str, str]) -> dict[str, bool]:
        listed = await client.get("/v1/workspace/rooms", headers=headers)
        assert listed.status_code == 200, listed.text
        return {room["room_id"]: room["can_manage"] for room in listed.json()["items"]}

    # The guest made "guests"; their company's admin may manage it too; the other
    # company's admin made "open" and sees only it; a superuser manages both.
    assert await manageable(world.guest.headers) == {"guests": True, "open": False}
    assert await manageable(world.admin.headers) == {"guests": True, "open": False}
    assert await manageable(world.other_admin.headers) == {"open": True}
    assert await manageable(world.superuser.headers) == {"guests": True, "open": True}
    assert await manageable({}) == {"open": False}
    # What the list promises, the API keeps: a PATCH by one it calls a non-manager is 403.
    refused = await client.patch(
        "/v1/workspace/rooms/open", json={"title": "x"}, headers=world.guest.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "not_room_owner")


async def test_each_room_says_how_many_are_in_it(server: str) -> None:
    owner = await member(server, "Counting Co")
    await open_room(server, owner, room_id="count-a", title="A", visibility="members", max_users=3)
    await open_room(server, owner, room_id="count-b", title="B")

    async def online() -> dict[str, tuple[int, int]]:
        async with httpx.AsyncClient(base_url=server) as http:
            listed = await http.get("/v1/workspace/rooms?limit=100", headers=owner)
        assert listed.status_code == 200, listed.text
        return {
            room["room_id"]: (room["online"], room["max_users"])
            for room in listed.json()["items"]
            if room["room_id"].startswith("count-")
        }

    assert await online() == {"count-a": (0, 3), "count-b": (0, 20)}
    token = access_token(owner)
    async with (
        joined(server, "count-a", "ann", token=token),
        joined(server, "count-b", "bo"),
        joined(server, "count-b", "cy"),
    ):
        assert await online() == {"count-a": (1, 3), "count-b": (2, 20)}
    assert await online() == {"count-a": (0, 3), "count-b": (0, 20)}
