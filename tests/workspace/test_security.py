"""The workspace's defences against a real server with real clients: who creates rooms,
who edits them, seats per client, the snapshot quota, garbage `since`, and sockets whose
session ended or whose token expired."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import httpx
import pytest
from redis.asyncio import Redis

from backlot.core.bus import build_bus
from backlot.core.security import ACCESS_AUDIENCE, TokenSigner
from backlot.core.sessions import announce_session_end
from tests.conftest import REDIS_URL, TEST_SECRET, needs_redis
from tests.contract.conftest import delete_prefix
from tests.helpers import running_server
from tests.workspace.conftest import access_token, member, open_room
from tests.workspace.peers import Peer, connect, joined

# The defaults, except a quota small enough to meet and a few rooms per user.
SECURE = {
    "BACKLOT_SECRET_KEY": TEST_SECRET,
    "BACKLOT_LOG_LEVEL": "warning",
    "BACKLOT_WORKSPACE_ROOM_SNAPSHOT_QUOTA_BYTES": "4096",
}


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("workspace-secure"), SECURE) as base:
        yield base


def new_room() -> str:
    return f"room-{uuid.uuid4().hex[:10]}"


async def user_id(base: str, headers: dict[str, str]) -> int:
    async with httpx.AsyncClient(base_url=base) as http:
        return int((await http.get("/v1/users/me", headers=headers)).json()["id"])


def short_token(subject: int, seconds: float) -> str:
    """An access token like the server's own, expiring in `seconds`."""
    signer = TokenSigner(TEST_SECRET, "backlot", _Now())
    return signer.issue(str(subject), ACCESS_AUDIENCE, timedelta(seconds=seconds))


class _Now:
    def now(self) -> datetime:
        return datetime.now(UTC)


async def refused(peer: Peer) -> tuple[str, int | None, str]:
    code, reason = await peer.expect_closed()
    return peer.frames[0]["payload"]["code"], code, reason


async def test_an_anonymous_connect_to_an_unknown_room_creates_nothing(secure: str) -> None:
    room = new_room()
    for _ in range(3):
        peer = await connect(secure, room, nickname="squatter")
        code, close, reason = await refused(peer)
        assert (code, close) == ("room_not_found", 4404) and reason.startswith("room_not_found")
    signed_in = await member(secure)  # without the setting, not even by a member's connect
    peer = await connect(secure, room, nickname="ada", token=access_token(signed_in))
    assert (await refused(peer))[:2] == ("room_not_found", 4404)
    async with httpx.AsyncClient(base_url=secure) as http:
        assert (await http.get(f"/v1/workspace/rooms/{room}")).status_code == 404


async def test_anonymous_visitors_watch_unless_the_creator_lets_them_edit(secure: str) -> None:
    owner = await member(secure)
    watched, open_to_all = new_room(), new_room()
    await open_room(secure, owner, room_id=watched, title="Watched")
    await open_room(secure, owner, room_id=open_to_all, title="Open", anonymous_edit=True)
    async with (
        joined(secure, watched, "visitor") as visitor,
        joined(secure, watched, "ada", token=access_token(owner)) as ada,
    ):
        assert (visitor.init["readOnly"], ada.init["readOnly"]) == (True, False)
        await visitor.send("LOCK_ACQUIRE", {"blockId": "b"})
        assert (await visitor.expect("ERROR"))["code"] == "read_only"
        await visitor.send("COMMIT", {"blockId": "b", "events": [], "workspaceXml": "<x/>"})
        assert (await visitor.expect("ERROR"))["code"] == "read_only"
        assert await ada.quiet("COMMIT_APPLY", 0.3) == []
        await ada.send("COMMIT", {"blockId": "b", "events": [], "workspaceXml": "<ada/>"})
        assert (await visitor.expect("COMMIT_APPLY"))["version"] == 1  # watching works
    async with joined(secure, open_to_all, "guest") as guest:
        assert guest.init["readOnly"] is False
        await guest.send("LOCK_ACQUIRE", {"blockId": "b"})
        assert (await guest.expect("LOCK_UPDATE"))["owner"] == guest.client_id


async def test_one_client_address_cannot_take_every_seat(secure: str) -> None:
    room = new_room()
    owner = await member(secure)
    await open_room(secure, owner, room_id=room, title="Seats", max_users=20)
    peers = [await connect(secure, room, nickname=f"p{n}") for n in range(4)]  # the default
    try:
        assert all("INIT_STATE" in peer.kinds for peer in peers)
        greedy = await connect(secure, room, nickname="p5")
        code, close, reason = await refused(greedy)
        assert (code, close) == ("too_many_seats", 4429) and reason.startswith("too_many_seats")
        # Seats per user count apart from the address's.
        async with joined(secure, room, "ada", token=access_token(owner)) as ada:
            assert len(ada.init["users"]) == 5
    finally:
        for peer in peers:
            await peer.close()
    async with joined(secure, room, "back") as back:  # freed on leaving
        assert back.init["readOnly"] is True


async def test_snapshots_are_stored_once_and_within_the_room_quota(secure: str) -> None:
    room = new_room()
    owner = await member(secure)
    await open_room(secure, owner, room_id=room, title="Quota")
    async with joined(secure, room, "ada", token=access_token(owner)) as ada:
        same = "<xml>" + "<block/>" * 500 + "</xml>"  # 4 KB that compresses well
        for _ in range(3):
            await ada.send("COMMIT", {"blockId": "b", "events": [], "workspaceXml": same})
            await ada.expect("COMMIT_APPLY")
        noise = secrets.token_hex(1800)  # ~2 KB compressed
        await ada.send("COMMIT", {"blockId": "b", "events": [], "workspaceXml": noise})
        assert (await ada.expect("COMMIT_APPLY"))["version"] == 4
        await ada.send("COMMIT", {"blockId": "b", "events": [1], "workspaceXml": noise + "!"})
        over = await ada.expect("ERROR")
        assert over["code"] == "quota_exceeded" and "4096" in over["message"]
        assert await ada.quiet("COMMIT_APPLY", 0.3) == []  # nothing stored, nothing announced
        async with httpx.AsyncClient(base_url=secure) as http:
            history = (await http.get(f"/v1/workspace/rooms/{room}/snapshots")).json()
            assert [s["version"] for s in history["items"]] == [4, 1]
            assert history["items"][1]["size"] == len(same)
            one = (await http.get(f"/v1/workspace/rooms/{room}/snapshots/1")).json()
            assert one["xml"] == same
            detail = (await http.get(f"/v1/workspace/rooms/{room}")).json()
            assert detail["version"] == 4  # the refused commit took no number
            restore = await http.post(
                f"/v1/workspace/rooms/{room}/snapshots/4/restore", headers=owner
            )
            assert restore.status_code == 201  # the same XML as the latest: nothing new kept
            small = await http.post(
                f"/v1/workspace/rooms/{room}/snapshots/1/restore", headers=owner
            )
            assert small.status_code == 201  # a few compressed bytes still fit
            big = await http.post(f"/v1/workspace/rooms/{room}/snapshots/4/restore", headers=owner)
            assert (big.status_code, big.json()["code"]) == (413, "quota_exceeded")
            history = (await http.get(f"/v1/workspace/rooms/{room}/snapshots")).json()
            assert [s["version"] for s in history["items"]] == [6, 4, 1]
    async with joined(secure, room, "late", token=access_token(owner)) as late:
        assert (late.init["workspaceXml"], late.init["version"]) == (same, 6)


async def test_garbage_since_is_a_clean_refusal(secure: str) -> None:
    room = new_room()
    await open_room(secure, await member(secure), room_id=room, title="Since")
    for since in ("²", "١٢", "1e3", " 1", "9" * 19):
        peer = await connect(secure, room, nickname="x", since=since)
        assert (await refused(peer))[:2] == ("invalid_since", 4400), since


async def test_an_expired_token_closes_the_socket_unless_renewed(secure: str) -> None:
    owner = await member(secure, corporation=f"Corp {uuid.uuid4().hex[:6]}")
    other = await member(secure)
    me = await user_id(secure, owner)
    room = new_room()
    await open_room(secure, owner, room_id=room, title="Team", visibility="members")

    lapsing = await connect(secure, room, nickname="a", token=short_token(me, 2))
    assert (await lapsing.expect("ERROR", timeout=6))["code"] == "token_expired"
    assert await lapsing.expect_closed() == (4401, "token_expired")

    # `exp` is whole seconds: a "4 s" token lives 3-4 s, time enough to renew it on a
    # loaded machine; the sleep goes past its end.
    async with joined(secure, room, "b", token=short_token(me, 4)) as renewed:
        await renewed.send("AUTH", {"token": short_token(me, 60)})
        assert (await renewed.expect("AUTH"))["expiresAt"] > 0
        await asyncio.sleep(5)  # past the first token's end
        await renewed.send("LOCK_ACQUIRE", {"blockId": "b"})
        assert (await renewed.expect("LOCK_UPDATE"))["owner"] == renewed.client_id
        assert renewed.closed is None

    async with joined(secure, room, "c", token=access_token(owner)) as swapped:
        await swapped.send("AUTH", {"token": access_token(other)})
        assert (await swapped.expect("ERROR"))["code"] == "token_user_mismatch"
        assert (await swapped.expect_closed())[0] == 4401


@pytest.fixture
def redis_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    assert REDIS_URL is not None
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    yield {
        **SECURE,
        "BACKLOT_REDIS_URL": REDIS_URL,
        "BACKLOT_REDIS_PREFIX": prefix,
        "BACKLOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}",
    }
    anyio.run(_flush, prefix)


async def _flush(prefix: str) -> None:
    assert REDIS_URL is not None
    redis = Redis.from_url(REDIS_URL)
    try:
        await delete_prefix(redis, prefix)
    finally:
        await redis.aclose()


@needs_redis
async def test_an_ended_session_closes_its_sockets_on_every_process(
    tmp_path: Path, redis_env: dict[str, str]
) -> None:
    with ExitStack() as stack:
        a, b = (stack.enter_context(running_server(tmp_path, redis_env)) for _ in range(2))
        owner, bystander = await member(a), await member(a)
        room = new_room()
        await open_room(a, owner, room_id=room, title="Ends")
        on_a = await connect(a, room, nickname="on-a", token=access_token(owner))
        on_b = await connect(b, room, nickname="on-b", token=access_token(owner))
        async with (
            joined(b, room, "other", token=access_token(bystander)) as other,
            joined(a, room, "anon") as anon,
        ):
            assert REDIS_URL is not None
            redis = Redis.from_url(REDIS_URL)
            try:
                bus = build_bus(redis, redis_env["BACKLOT_REDIS_PREFIX"])
                await announce_session_end(bus, await user_id(a, owner), "logout")
            finally:
                await redis.aclose()
            for peer in (on_a, on_b):
                assert (await peer.expect("ERROR"))["code"] == "session_ended"
                assert await peer.expect_closed() == (4401, "session_ended")
            await other.expect("USER_LEFT", lambda p: p["nickname"] == "on-b")
            assert other.closed is None and anon.closed is None
