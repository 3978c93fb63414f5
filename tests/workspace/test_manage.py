"""Managing rooms over REST (rename, max_users, delete) and join tickets, on both
databases in process; the sockets' side of tickets and deletion against real servers."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from httpx import AsyncClient

from backlot.core.log_redaction import RedactUrlTokens
from backlot.core.settings import Settings
from tests.conftest import REDIS_URL, needs_redis
from tests.helpers import build_world, running_server
from tests.workspace.conftest import FAST, access_token, member, open_room
from tests.workspace.peers import connect, joined
from tests.workspace.test_security import redis_env

__all__ = ["redis_env"]


async def test_rename_resize_and_delete_by_owner_admin_only(
    client: AsyncClient, settings: Settings
) -> None:
    world = await build_world(client, settings)
    made = await client.post(
        "/v1/workspace/rooms",
        json={"room_id": "team", "title": "Team", "visibility": "members"},
        headers=world.guest.headers,
    )
    assert made.status_code == 201
    renamed = await client.patch(
        "/v1/workspace/rooms/team",
        json={"title": " Renamed ", "max_users": 3},
        headers=world.guest.headers,
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["title"], renamed.json()["max_users"]) == ("Renamed", 3)
    by_admin = await client.patch(
        "/v1/workspace/rooms/team", json={"max_users": 7}, headers=world.admin.headers
    )
    assert by_admin.json()["max_users"] == 7 and by_admin.json()["title"] == "Renamed"
    for body in ({"max_users": 0}, {"title": ""}, {"extra": 1}, {"max_users": "2"}):
        bad = await client.patch("/v1/workspace/rooms/team", json=body, headers=world.admin.headers)
        assert bad.status_code == 422, body
    # Another company: as if there were no room.
    for method in ("PATCH", "DELETE"):
        hidden = await client.request(
            method,
            "/v1/workspace/rooms/team",
            json={"title": "x"} if method == "PATCH" else None,
            headers=world.other_admin.headers,
        )
        assert (hidden.status_code, hidden.json()["code"]) == (404, "room_not_found")
    assert (await client.patch("/v1/workspace/rooms/team", json={"title": "x"})).status_code == 401
    # A public room of the admin: the guest (same company) may enter it, not change it.
    await client.post(
        "/v1/workspace/rooms",
        json={"room_id": "open", "title": "Open"},
        headers=world.admin.headers,
    )
    refused = await client.delete("/v1/workspace/rooms/open", headers=world.guest.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_room_owner")
    assert (
        await client.delete("/v1/workspace/rooms/team", headers=world.admin.headers)
    ).status_code == 204
    gone = await client.get("/v1/workspace/rooms/team", headers=world.admin.headers)
    assert gone.status_code == 404
    assert (
        await client.delete("/v1/workspace/rooms/open", headers=world.superuser.headers)
    ).status_code == 204


async def test_tickets_are_issued_to_those_who_may_enter(
    client: AsyncClient, settings: Settings
) -> None:
    world = await build_world(client, settings)
    await client.post(
        "/v1/workspace/rooms",
        json={"room_id": "team", "title": "Team", "visibility": "members"},
        headers=world.admin.headers,
    )
    issued = await client.post("/v1/workspace/rooms/team/ticket", headers=world.guest.headers)
    assert issued.status_code == 201, issued.text
    assert issued.json()["expires_in"] == 30 and len(issued.json()["ticket"]) >= 16
    other = await client.post("/v1/workspace/rooms/team/ticket", headers=world.other_admin.headers)
    assert (other.status_code, other.json()["code"]) == (404, "room_not_found")
    assert (await client.post("/v1/workspace/rooms/team/ticket")).status_code == 401


def new_room() -> str:
    return f"room-{uuid.uuid4().hex[:10]}"


async def ticket(base: str, headers: dict[str, str], room: str) -> str:
    async with httpx.AsyncClient(base_url=base) as http:
        issued = await http.post(f"/v1/workspace/rooms/{room}/ticket", headers=headers)
        assert issued.status_code == 201, issued.text
        return str(issued.json()["ticket"])


@pytest.fixture(scope="module")
def short_tickets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {**FAST, "BACKLOT_WORKSPACE_TICKET_SECONDS": "1"}
    with running_server(tmp_path_factory.mktemp("workspace-tickets"), env) as base:
        yield base


async def test_a_ticket_admits_its_user_once_to_its_room_in_time(short_tickets: str) -> None:
    base = short_tickets
    owner = await member(base, "Ticket Co")
    room, elsewhere = new_room(), new_room()
    await open_room(base, owner, room_id=room, title="T", visibility="members")
    await open_room(base, owner, room_id=elsewhere, title="E", visibility="members")
    good = await ticket(base, owner, room)
    async with joined(base, room, "ann", ticket=good) as peer:
        assert peer.init["clientId"]
        # Signed in as the ticket's user: editing is allowed (not read_only).
        again = await connect(base, room, nickname="ann", ticket=good)
        assert (await again.expect("ERROR"))["code"] == "invalid_ticket"
        assert (await again.expect_closed())[0] == 4401
    foreign = await connect(base, elsewhere, nickname="ann", ticket=await ticket(base, owner, room))
    assert (await foreign.expect("ERROR"))["code"] == "invalid_ticket"
    late = await ticket(base, owner, room)
    await asyncio.sleep(1.3)
    expired = await connect(base, room, nickname="ann", ticket=late)
    assert (await expired.expect("ERROR"))["code"] == "invalid_ticket"
    forged = await connect(base, room, nickname="ann", ticket="x" * 32)
    assert (await forged.expect("ERROR"))["code"] == "invalid_ticket"


async def test_deleting_a_room_closes_its_sockets_with_the_reason(short_tickets: str) -> None:
    base = short_tickets
    owner = await member(base, "Deleting Co")
    room = new_room()
    await open_room(base, owner, room_id=room, title="D")
    async with joined(base, room, "bob", token=access_token(owner)) as peer:
        await peer.send("COMMIT", {"blockId": None, "events": [], "workspaceXml": "<xml/>"})
        async with httpx.AsyncClient(base_url=base) as http:
            deleted = await http.delete(
                f"/v1/workspace/rooms/{room}", params={"reason": "moved"}, headers=owner
            )
            assert deleted.status_code == 204
            error = await peer.expect("ERROR", lambda p: p["code"] == "room_deleted")
            assert "moved" in error["message"]
            assert await peer.expect_closed() == (4410, "room_deleted")
            history = await http.get(f"/v1/workspace/rooms/{room}/snapshots", headers=owner)
            assert history.status_code == 404


@needs_redis
async def test_a_ticket_is_used_once_across_two_processes(
    tmp_path: Path,
    redis_env: dict[str, str],
) -> None:
    assert REDIS_URL is not None
    with ExitStack() as stack:
        a, b = (stack.enter_context(running_server(tmp_path, redis_env)) for _ in range(2))
        owner = await member(a, "Two Co")
        room = new_room()
        await open_room(a, owner, room_id=room, title="Two", visibility="members")
        for _ in range(3):
            one = await ticket(a, owner, room)
            peers = await asyncio.gather(
                connect(a, room, nickname="x", ticket=one),
                connect(b, room, nickname="y", ticket=one),
            )
            admitted = [p for p in peers if "INIT_STATE" in p.kinds]
            assert len(admitted) == 1, [p.frames for p in peers]
            for peer in peers:
                await peer.close()


def test_socket_urls_with_a_token_are_redacted_in_access_logs() -> None:
    # uvicorn's websocket access line: '%s - "WebSocket %s" [accepted]'
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:5000", "/ws/workspace/r/?nickname=ann&token=eyJ.abc.def"),
        None,
    )
    RedactUrlTokens().filter(record)
    assert record.getMessage() == (
        '127.0.0.1:5000 - "WebSocket /ws/workspace/r/?nickname=ann&token=[redacted]" [accepted]'
    )
