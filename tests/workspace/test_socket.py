"""Seed 002's protocol against a real server with real `websockets` clients: the whole
flow, refusals, malformed input, limits, expiry, disconnects and resume."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx

from tests.workspace.conftest import access_token, member, open_room
from tests.workspace.peers import connect, joined


def new_room() -> str:
    return f"room-{uuid.uuid4().hex[:10]}"


async def test_the_seed_flow(server: str) -> None:
    room = new_room()
    async with joined(server, room, "alice") as alice:
        init = alice.init
        assert init["users"] == [
            {
                "clientId": alice.client_id,
                "nickname": "alice",
                "color": init["color"],
                "lastSeen": init["users"][0]["lastSeen"],
            }
        ]
        assert (init["locks"], init["workspaceXml"], init["version"]) == ({}, None, 0)
        assert init["room"] == {
            "roomId": room,
            "title": room,
            "maxUsers": 20,
            "visibility": "public",
        }
        async with joined(server, room, "bob") as bob:
            joined_bob = await alice.expect("USER_JOINED", lambda p: p["nickname"] == "bob")
            assert joined_bob["clientId"] == bob.client_id
            assert joined_bob["color"] != init["color"]  # the least used colour
            assert {u["nickname"] for u in bob.init["users"]} == {"alice", "bob"}

            await alice.send("LOCK_ACQUIRE", {"blockId": "b1"})
            for peer in (alice, bob):
                update = await peer.expect("LOCK_UPDATE")
                assert update["blockId"] == "b1"
                assert update["owner"] == alice.client_id
                assert update["token"] >= 1
                assert update["expiresAt"] > 0

            await bob.send("LOCK_ACQUIRE", {"blockId": "b1"})
            denied = await bob.expect("LOCK_DENIED")
            assert denied["blockId"] == "b1"
            assert denied["owner"] == alice.client_id
            assert 0 < denied["ttlMs"] <= 2000
            assert await alice.quiet("LOCK_DENIED", 0.2) == []  # only the asker hears it

            await bob.send("COMMIT", {"blockId": "b1", "events": [{"type": "move"}]})
            refused = await bob.expect("ERROR")
            assert (refused["code"], refused["owner"]) == ("not_lock_owner", alice.client_id)

            events = [{"type": "change", "blockId": "b1", "newValue": 42}]
            await alice.send(
                "COMMIT", {"blockId": "b1", "events": events, "workspaceXml": "<xml>1</xml>"}
            )
            for peer in (alice, bob):
                applied = await peer.expect("COMMIT_APPLY")
                assert applied["blockId"] == "b1"
                assert applied["events"] == events
                assert (applied["by"], applied["version"]) == (alice.client_id, 1)
                released = await peer.expect("LOCK_UPDATE", lambda p: p["owner"] is None)
                assert (released["blockId"], released["reason"]) == ("b1", "committed")
                assert released["seq"] > applied["seq"]

            # Unlocked, as in the seed, anyone may commit the block.
            await bob.send("COMMIT", {"blockId": "b1", "events": []})
            assert (await alice.expect("COMMIT_APPLY"))["version"] == 2

            await bob.send("LOCK_ACQUIRE", {"blockId": "b2"})
            await alice.expect("LOCK_UPDATE", lambda p: p["owner"] == bob.client_id)
        # bob is gone: his lock goes first, then he does.
        freed = await alice.expect("LOCK_UPDATE", lambda p: p["blockId"] == "b2")
        assert (freed["owner"], freed["reason"]) == (None, "disconnected")
        left = await alice.expect("USER_LEFT")
        assert left["clientId"] == bob.client_id
        assert left["seq"] > freed["seq"]

    async with joined(server, room, "carol") as carol:
        assert carol.init["workspaceXml"] == "<xml>1</xml>"
        assert (carol.init["version"], carol.init["snapshotVersion"]) == (2, 1)
        assert carol.init["locks"] == {}
        assert [u["nickname"] for u in carol.init["users"]] == ["carol"]


async def test_a_stale_fencing_token_is_refused(server: str) -> None:
    async with joined(server, new_room(), "alice") as alice:
        await alice.send("LOCK_ACQUIRE", {"blockId": "b"})
        first = (await alice.expect("LOCK_UPDATE"))["token"]
        await alice.send("COMMIT", {"blockId": "b", "events": [], "token": first})
        await alice.expect("COMMIT_APPLY")
        await alice.send("LOCK_ACQUIRE", {"blockId": "b"})
        second = (await alice.expect("LOCK_UPDATE", lambda p: p["owner"] is not None))["token"]
        assert second > first
        await alice.send("COMMIT", {"blockId": "b", "events": [], "token": first})
        assert (await alice.expect("ERROR"))["code"] == "stale_lock"
        await alice.send("COMMIT", {"blockId": "b", "events": [], "token": second})
        assert (await alice.expect("COMMIT_APPLY"))["version"] == 2


async def test_heartbeats_keep_locks_and_lapses_are_announced_once(server: str) -> None:
    room = new_room()
    async with joined(server, room, "alice") as alice:
        await alice.send("LOCK_ACQUIRE", {"blockId": "one"})
        await alice.send("LOCK_ACQUIRE", {"blockId": "two"})
        await alice.expect("LOCK_UPDATE", lambda p: p["blockId"] == "two")
        for _ in range(8):  # 4 s, twice the TTL, with a heartbeat every 0.5 s
            await asyncio.sleep(0.5)
            await alice.send("HEARTBEAT", {})
        async with joined(server, room, "bob") as bob:
            assert set(bob.init["locks"]) == {"one", "two"}
            assert bob.init["locks"]["one"]["owner"] == alice.client_id
            await bob.send("LOCK_ACQUIRE", {"blockId": "two"})
            assert (await bob.expect("LOCK_DENIED"))["owner"] == alice.client_id
            # alice stops renewing: each lock lapses and is announced exactly once.
            expired = [
                await bob.expect("LOCK_UPDATE", lambda p: p["reason"] == "expired", timeout=6)
                for _ in range(2)
            ]
            assert {e["blockId"] for e in expired} == {"one", "two"}
            assert await bob.quiet("LOCK_UPDATE", 1.0) == []
            await bob.send("LOCK_ACQUIRE", {"blockId": "two"})
            taken = await alice.expect("LOCK_UPDATE", lambda p: p["owner"] == bob.client_id)
            lapsed = next(e for e in expired if e["blockId"] == "two")
            assert taken["token"] > lapsed["token"]  # fencing tokens only grow


async def test_a_full_room_refuses_with_a_reason(server: str) -> None:
    room = new_room()
    await open_room(server, await member(server), room_id=room, title="Pair", max_users=2)
    async with joined(server, room, "one"), joined(server, room, "two"):
        third = await connect(server, room, nickname="three")
        assert third.frames[0] == {
            "t": "ERROR",
            "payload": {"code": "room_full", "message": "The room is full (2 users)."},
        }
        code, reason = await third.expect_closed()
        assert code == 4409 and reason.startswith("room_full")
    async with joined(server, room, "three") as later:  # seats free up on leaving
        assert len(later.init["users"]) == 1


async def test_racing_for_the_last_seats(server: str) -> None:
    room = new_room()
    await open_room(server, await member(server), room_id=room, title="Three", max_users=3)
    peers = await asyncio.gather(*(connect(server, room, nickname=f"p{i}") for i in range(12)))
    try:
        kinds = sorted(peer.frames[0]["t"] for peer in peers)
        assert kinds == ["ERROR"] * 9 + ["INIT_STATE"] * 3
    finally:
        for peer in peers:
            await peer.close()


async def test_bad_handshakes_are_refused_with_4400(server: str) -> None:
    for room, params in [
        (new_room(), {}),
        (new_room(), {"nickname": ""}),
        (new_room(), {"nickname": "x" * 33}),
        (new_room(), {"nickname": "tab\there"}),
        (new_room(), {"nickname": "ok", "since": "-1"}),
        (new_room(), {"nickname": "ok", "since": "abc"}),
        ("bad.room", {"nickname": "ok"}),
        ("r" * 65, {"nickname": "ok"}),
    ]:
        peer = await connect(server, room, **params)
        error = peer.frames[0]
        assert error["t"] == "ERROR", error
        code, reason = await peer.expect_closed()
        assert code == 4400, (room, params, code, reason)
        assert error["payload"]["code"] in reason
    async with joined(server, new_room(), "가나다 ✓") as unicode:  # printable is not ASCII
        assert unicode.init["nickname"] == "가나다 ✓"


async def test_malformed_messages_get_errors_and_the_socket_stays(server: str) -> None:
    cases: list[tuple[str | bytes, str]] = [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_message"),
        ('{"payload": {}}', "invalid_message"),
        ('{"t": 7}', "invalid_message"),
        ('{"t": "SHOUT", "payload": {}}', "unknown_type"),
        ('{"t": "LOCK_ACQUIRE", "payload": []}', "invalid_message"),
        ('{"t": "LOCK_ACQUIRE", "payload": {}}', "validation_failed"),
        ('{"t": "LOCK_ACQUIRE", "payload": {"blockId": 5}}', "validation_failed"),
        ('{"t": "LOCK_ACQUIRE", "payload": {"blockId": ""}}', "validation_failed"),
        (json.dumps({"t": "LOCK_ACQUIRE", "payload": {"blockId": "b" * 129}}), "validation_failed"),
        ('{"t": "COMMIT", "payload": {"blockId": "b", "events": {}}}', "validation_failed"),
        (
            '{"t": "COMMIT", "payload": {"blockId": "b", "events": [], "token": "1"}}',
            "validation_failed",
        ),
        (
            '{"t": "COMMIT", "payload": {"blockId": "b", "events": [], "workspaceXml": 1}}',
            "validation_failed",
        ),
        (b"\x00\x01binary", "invalid_message"),
        ('{"t": "LOCK_ACQUIRE", "payload": {"blockId": "\\ud800"}}', "invalid_message"),
        ("[" * 100_000, "invalid_json"),
    ]
    async with joined(server, new_room(), "fuzzy") as peer:
        for frame, code in cases:
            await peer.send_raw(frame)
            error = await peer.expect("ERROR")
            assert error["code"] == code, (frame[:80], error)
            assert error["message"]
        await peer.send("LOCK_ACQUIRE", {"blockId": "still-here"})
        assert (await peer.expect("LOCK_UPDATE"))["owner"] == peer.client_id
        assert peer.closed is None


async def test_an_oversized_message_closes_1009(strict_server: str) -> None:
    async with joined(strict_server, new_room(), "big") as peer:
        xml = "<xml>" + "x" * 5000 + "</xml>"
        await peer.send("COMMIT", {"blockId": "b", "events": [], "workspaceXml": xml})
        code, reason = await peer.expect_closed()
        assert code == 1009 and "4096" in reason


async def test_a_flood_closes_1008(strict_server: str) -> None:
    async with joined(strict_server, new_room(), "flood") as peer:
        for _ in range(40):
            await peer.send("HEARTBEAT", {})
        code, reason = await peer.expect_closed()
        assert code == 1008, (code, reason)


async def test_a_silent_client_is_closed_and_its_locks_freed(strict_server: str) -> None:
    room = new_room()
    async with (
        joined(strict_server, room, "watcher") as watcher,
        joined(strict_server, room, "sleepy") as sleepy,
    ):
        await sleepy.send("LOCK_ACQUIRE", {"blockId": "b"})
        await watcher.expect("LOCK_UPDATE", lambda p: p["owner"] == sleepy.client_id)
        for _ in range(4):  # the watcher keeps talking; sleepy goes quiet
            await asyncio.sleep(0.5)
            await watcher.send("HEARTBEAT", {})
        code, _ = await sleepy.expect_closed(timeout=5)
        assert code == 4408
        freed = await watcher.expect("LOCK_UPDATE", lambda p: p["owner"] is None)
        assert freed["reason"] == "disconnected"
        left = await watcher.expect("USER_LEFT")
        assert left["clientId"] == sleepy.client_id


async def test_an_abrupt_disconnect_frees_the_locks(server: str) -> None:
    room = new_room()
    async with joined(server, room, "watcher") as watcher:
        gone = await connect(server, room, nickname="gone")
        await gone.send("LOCK_ACQUIRE", {"blockId": "b"})
        await watcher.expect("LOCK_UPDATE", lambda p: p["owner"] == gone.client_id)
        gone.ws.transport.abort()  # no close frame: the TCP connection just drops
        freed = await watcher.expect("LOCK_UPDATE", lambda p: p["owner"] is None)
        assert freed["reason"] == "disconnected"
        assert (await watcher.expect("USER_LEFT"))["clientId"] == gone.client_id


async def test_resume_with_since_replays_what_was_missed(server: str) -> None:
    room = new_room()
    async with joined(server, room, "alice") as alice:
        bob = await connect(server, room, nickname="bob")
        await bob.expect("USER_JOINED", lambda p: p["clientId"] == bob.client_id)
        seen = max(frame["payload"].get("seq", 0) for frame in bob.frames)
        await bob.close()
        await alice.expect("USER_LEFT")
        for n in range(3):
            await alice.send("COMMIT", {"blockId": f"b{n}", "events": [n], "workspaceXml": "<x/>"})
            await alice.expect("COMMIT_APPLY")
        async with joined(server, room, "bob", since=seen) as back:
            kinds = back.kinds
            init = kinds.index("INIT_STATE")
            assert kinds[:init] == ["USER_LEFT", "COMMIT_APPLY", "COMMIT_APPLY", "COMMIT_APPLY"]
            missed = [frame["payload"] for frame in back.frames[:init]]
            assert [p["seq"] for p in missed] == list(range(seen + 1, seen + 5))
            assert [p["version"] for p in missed[1:]] == [1, 2, 3]
            state = back.frames[init]["payload"]
            assert state["resumed"] is True and "workspaceXml" not in state
            assert state["seq"] == seen + 4
            assert (await back.expect("USER_JOINED"))["clientId"] == state["clientId"]


async def test_resume_past_the_window_gets_a_fresh_state(strict_server: str) -> None:
    room = new_room()
    async with joined(strict_server, room, "alice") as alice:
        for n in range(12):  # the strict server keeps 10 events per room
            await alice.send("COMMIT", {"blockId": "b", "events": [], "workspaceXml": f"<{n}/>"})
            await alice.expect("COMMIT_APPLY")
            await asyncio.sleep(0.2)  # under the strict rate limit
        async with joined(strict_server, room, "bob", since=1) as bob:
            assert bob.kinds[0] == "INIT_STATE"
            assert bob.init["resumed"] is False
            assert (bob.init["workspaceXml"], bob.init["version"]) == ("<11/>", 12)
        async with joined(strict_server, room, "carol", since=10**9) as carol:
            assert carol.init["resumed"] is False  # ahead of the room: numbering restarted


async def test_members_rooms_need_a_members_token(server: str) -> None:
    owner = await member(server, corporation=f"Corp {uuid.uuid4().hex[:6]}")
    outsider = await member(server, corporation=f"Other {uuid.uuid4().hex[:6]}")
    room = new_room()
    await open_room(server, owner, room_id=room, title="Team", visibility="members")
    for params, close_code in [
        ({}, 4401),
        ({"token": "not-a-jwt"}, 4401),
        ({"token": access_token(outsider)}, 4404),
    ]:
        peer = await connect(server, room, nickname="x", **params)
        assert peer.frames[0]["t"] == "ERROR"
        assert (await peer.expect_closed())[0] == close_code
    async with joined(server, room, "boss", token=access_token(owner)) as boss:
        assert boss.init["room"]["visibility"] == "members"
        await boss.send("COMMIT", {"blockId": "b", "events": [], "workspaceXml": "<team/>"})
        await boss.expect("COMMIT_APPLY")
    async with httpx.AsyncClient(base_url=server) as http:
        snapshots = await http.get(f"/v1/workspace/rooms/{room}/snapshots", headers=owner)
        me = (await http.get("/v1/users/me", headers=owner)).json()
        assert snapshots.json()["items"][0]["author"] == "boss"
        assert snapshots.json()["items"][0]["author_user_id"] == me["id"]
        hidden = await http.get(f"/v1/workspace/rooms/{room}", headers=outsider)
        assert hidden.status_code == 404


async def test_history_and_restore_reach_the_room(server: str) -> None:
    room = new_room()
    headers = await member(server)
    async with joined(server, room, "alice") as alice:
        for xml in ("<v1/>", "<v2/>"):
            await alice.send("COMMIT", {"blockId": "b", "events": [], "workspaceXml": xml})
            await alice.expect("COMMIT_APPLY")
        await alice.send("COMMIT", {"blockId": "b", "events": ["no snapshot"]})
        await alice.expect("COMMIT_APPLY")
        async with httpx.AsyncClient(base_url=server) as http:
            history = (await http.get(f"/v1/workspace/rooms/{room}/snapshots")).json()
            assert [s["version"] for s in history["items"]] == [2, 1]
            one = (await http.get(f"/v1/workspace/rooms/{room}/snapshots/1")).json()
            assert (one["xml"], one["author"], one["size"]) == ("<v1/>", "alice", 5)
            anonymous = await http.post(f"/v1/workspace/rooms/{room}/snapshots/1/restore")
            assert anonymous.status_code == 401
            restored = await http.post(
                f"/v1/workspace/rooms/{room}/snapshots/1/restore", headers=headers
            )
            assert restored.status_code == 201, restored.text
            assert restored.json() == {"version": 4, "restored_from": 1}
            applied = await alice.expect("COMMIT_APPLY", lambda p: p.get("restoredFrom") == 1)
            assert (applied["workspaceXml"], applied["version"], applied["by"]) == (
                "<v1/>",
                4,
                None,
            )
            detail = (await http.get(f"/v1/workspace/rooms/{room}")).json()
            assert detail["version"] == 4
            assert [u["nickname"] for u in detail["users"]] == ["alice"]
    async with joined(server, room, "late") as late:
        assert (late.init["workspaceXml"], late.init["snapshotVersion"]) == ("<v1/>", 4)
