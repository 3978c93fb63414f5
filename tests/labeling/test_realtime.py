"""Seed 000's realtime protocol against real servers (`backlot serve` on 127.0.0.1) with
real python-socketio clients: broadcasts, expiry, heartbeats, vanished browsers, resync,
and two server processes sharing Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import socketio
import uvicorn
from redis.asyncio import Redis

from backlot.app import create_asgi_app
from backlot.core.bus import build_bus
from backlot.core.clock import SystemClock
from backlot.core.security import ACCESS_AUDIENCE, TokenSigner
from backlot.core.sessions import announce_session_end
from backlot.core.settings import Settings
from backlot.core.state import AppState
from backlot.labeling.runtime import LabelingRuntime
from tests.conftest import REDIS_URL, TEST_SECRET, needs_redis
from tests.contract.conftest import delete_prefix
from tests.helpers import PASSWORD, free_port, running_server, unique_email

FAST = {
    "BACKLOT_SECRET_KEY": TEST_SECRET,
    "BACKLOT_LABELING_LOCK_TTL_SECONDS": "2",
    "BACKLOT_LOCK_SWEEP_INTERVAL_SECONDS": "0.2",
    "BACKLOT_LABELING_DISCONNECT_GRACE_SECONDS": "0.5",
    "BACKLOT_LOG_LEVEL": "warning",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cwd = tmp_path_factory.mktemp("realtime")
    with running_server(cwd, FAST) as base:
        yield base


@dataclass
class Team:
    base: str
    project: int
    admin: str  # access tokens
    guest: str
    guest_id: int


async def make_team(base: str) -> Team:
    async with httpx.AsyncClient(base_url=base) as http:
        admin_email, guest_email = unique_email("rt-admin"), unique_email("rt-guest")
        await http.post(
            "/v1/auth/register",
            json={"email": admin_email, "password": PASSWORD, "corporation_name": admin_email},
        )
        login = {"email": admin_email, "password": PASSWORD}
        admin = (await http.post("/v1/auth/login", json=login)).json()["access_token"]
        headers = {"Authorization": f"Bearer {admin}"}
        project = await http.post("/v1/labeling/projects", json={"name": "P"}, headers=headers)
        guest = await http.post(
            "/v1/users", json={"email": guest_email, "password": PASSWORD}, headers=headers
        )
        login = {"email": guest_email, "password": PASSWORD}
        guest_token = (await http.post("/v1/auth/login", json=login)).json()["access_token"]
    return Team(base, project.json()["id"], admin, guest_token, guest.json()["id"])


class Listener:
    """A socket.io client that records every lock event it hears."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        for name in ("lock_acquired", "lock_released", "error"):
            self.client.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Any:
        async def record(data: dict[str, Any]) -> None:
            await self.events.put((name, data))

        return record

    async def next(self, timeout: float = 5) -> tuple[str, dict[str, Any]]:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def quiet(self, seconds: float) -> list[tuple[str, dict[str, Any]]]:
        await asyncio.sleep(seconds)
        heard = []
        while not self.events.empty():
            heard.append(self.events.get_nowait())
        return heard


@asynccontextmanager
async def listening(base: str, token: str, project: int) -> AsyncIterator[Listener]:
    listener = Listener()
    await listener.client.connect(base, auth={"token": token}, transports=["websocket"])
    ack = await listener.client.call("join_project", {"project_id": project}, timeout=5)
    assert ack["ok"], ack
    try:
        yield listener
    finally:
        await listener.client.disconnect()


async def rest(team: Team, token: str, path: str, body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=team.base) as http:
        return await http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


async def test_connect_needs_a_valid_token(server: str) -> None:
    for auth in (None, {"token": "garbage"}, {"nothing": 1}):
        client = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError, match="namespaces failed"):
            await client.connect(server, auth=auth, transports=["websocket"])
    team = await make_team(server)
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(server, auth={"token": team.guest}, transports=["websocket"])
    assert client.connected
    await client.disconnect()


async def test_rest_lock_and_unlock_reach_every_client_in_the_room(server: str) -> None:
    team = await make_team(server)
    async with (
        listening(server, team.admin, team.project) as a,
        listening(server, team.guest, team.project) as b,
    ):
        body = {"project_id": team.project, "file_name": "image1.jpg"}
        assert (await rest(team, team.guest, "/v1/labeling/lock", body)).status_code == 200
        for listener in (a, b):
            name, data = await listener.next()
            assert name == "lock_acquired"
            assert data["file"] == "image1.jpg"
            assert data["user_id"] == team.guest_id
            assert data["seq"] == 1
        assert (await rest(team, team.guest, "/v1/labeling/unlock", body)).status_code == 204
        for listener in (a, b):
            assert await listener.next() == (
                "lock_released",
                {"file": "image1.jpg", "reason": "unlocked", "user_id": team.guest_id, "seq": 2},
            )


async def test_expiry_is_heard_exactly_once(server: str) -> None:
    team = await make_team(server)
    async with listening(server, team.admin, team.project) as watcher:
        body = {"project_id": team.project, "file_name": "a.jpg"}
        await rest(team, team.guest, "/v1/labeling/lock", body)
        assert (await watcher.next())[0] == "lock_acquired"
        name, data = await watcher.next(timeout=6)  # TTL is 2 s, sweeps every 0.2 s
        assert (name, data["reason"], data["file"]) == ("lock_released", "expired", "a.jpg")
        assert await watcher.quiet(1.5) == []  # no second announcement


async def test_socket_heartbeats_keep_the_lock_across_three_ttls(server: str) -> None:
    team = await make_team(server)
    async with (
        listening(server, team.admin, team.project) as watcher,
        listening(server, team.guest, team.project) as holder,
    ):
        await rest(
            team,
            team.guest,
            "/v1/labeling/lock",
            {"project_id": team.project, "file_name": "a.jpg"},
        )
        assert (await watcher.next())[0] == "lock_acquired"
        for _ in range(8):  # 6 s = three TTLs
            ack = await holder.client.call("heartbeat", {}, timeout=5)
            assert [lock["file"] for lock in ack["renewed"]] == ["a.jpg"]
            await asyncio.sleep(0.75)
        assert await watcher.quiet(0) == []
        name, data = await watcher.next(timeout=6)  # heartbeats stop: it lapses
        assert (name, data["reason"]) == ("lock_released", "expired")


async def test_join_acks_state_and_replays_missed_events(server: str) -> None:
    team = await make_team(server)
    body = {"project_id": team.project, "file_name": "a.jpg"}
    await rest(team, team.guest, "/v1/labeling/lock", body)
    await rest(team, team.guest, "/v1/labeling/unlock", body)
    await rest(team, team.guest, "/v1/labeling/lock", {**body, "file_name": "b.jpg"})
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(server, auth={"token": team.admin}, transports=["websocket"])
    try:
        ack = await client.call("join_project", {"project_id": team.project, "since": 1})
        assert ack["seq"] == 3
        assert [lock["file"] for lock in ack["locks"]] == ["b.jpg"]
        assert [(e["event"], e["seq"]) for e in ack["missed"]] == [
            ("lock_released", 2),
            ("lock_acquired", 3),
        ]
    finally:
        await client.disconnect()


async def test_bad_events_get_errors_and_the_connection_survives(server: str) -> None:
    team = await make_team(server)
    other = await make_team(server)
    listener = Listener()
    await listener.client.connect(server, auth={"token": team.guest}, transports=["websocket"])
    try:
        cases = [
            ({"project_id": other.project}, "not_found"),
            ({"project_id": team.project, "user_id": 999999}, "user_mismatch"),
            ({"project_id": "1"}, "validation_failed"),
            ("not a dict", "validation_failed"),
            ({}, "validation_failed"),
        ]
        for payload, code in cases:
            ack = await listener.client.call("join_project", payload, timeout=5)
            assert (ack["ok"], ack["code"]) == (False, code), ack
            assert (await listener.next())[1]["code"] == code
        left = await listener.client.call("leave_project", {"project_id": team.project})
        assert left["code"] == "not_joined"
        ok = await listener.client.call("join_project", {"project_id": team.project})
        assert ok["ok"]
    finally:
        await listener.client.disconnect()


VANISHING_CLIENT = textwrap.dedent(
    """
    import asyncio, sys, socketio

    async def main():
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(sys.argv[1], auth={"token": sys.argv[2]}, transports=["websocket"])
        ack = await client.call("join_project", {"project_id": int(sys.argv[3])})
        print("joined" if ack["ok"] else ack, flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


@asynccontextmanager
async def browser_holding_a_lock(
    team: Team, watcher: Listener
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """A socket client in its own process, joined to the project, whose user holds a.jpg."""
    browser = subprocess.Popen(
        [sys.executable, "-c", VANISHING_CLIENT, team.base, team.guest, str(team.project)],
        stdout=subprocess.PIPE,
    )
    try:
        assert browser.stdout is not None
        line = await asyncio.to_thread(browser.stdout.readline)
        assert line.strip() == b"joined"
        body = {"project_id": team.project, "file_name": "a.jpg"}
        locked = await rest(team, team.guest, "/v1/labeling/lock", body)
        assert locked.status_code == 200
        assert (await watcher.next())[0] == "lock_acquired"
        yield browser
    finally:
        browser.kill()
        browser.wait()


async def test_vanished_browser_loses_its_locks_after_the_grace(server: str) -> None:
    team = await make_team(server)
    async with (
        listening(server, team.admin, team.project) as watcher,
        browser_holding_a_lock(team, watcher) as browser,
    ):
        os.kill(browser.pid, signal.SIGKILL)  # no goodbye: the browser just vanishes
        name, data = await watcher.next(timeout=1.9)  # grace 0.5 s, before the 2 s TTL
        assert (name, data["reason"]) == ("lock_released", "disconnected")


async def test_silent_network_loss_is_noticed_by_ping_timeout(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A client whose network goes quiet (process frozen: its TCP connection stays open,
    no FIN, no pongs) is dropped after ping interval + timeout, then its locks go."""
    quick_pings = {
        **FAST,
        "BACKLOT_LABELING_LOCK_TTL_SECONDS": "60",  # far away: only the ping can free it
        "BACKLOT_SOCKET_PING_INTERVAL_SECONDS": "1",
        "BACKLOT_SOCKET_PING_TIMEOUT_SECONDS": "1",
    }
    with running_server(tmp_path_factory.mktemp("pings"), quick_pings) as server:
        team = await make_team(server)
        async with (
            listening(server, team.admin, team.project) as watcher,
            browser_holding_a_lock(team, watcher) as browser,
        ):
            os.kill(browser.pid, signal.SIGSTOP)
            started = asyncio.get_running_loop().time()
            # interval 1 s + timeout 1 s + grace 0.5 s, with room for a slow machine
            name, data = await watcher.next(timeout=15)
            waited = asyncio.get_running_loop().time() - started
            assert (name, data["reason"]) == ("lock_released", "disconnected")
            assert waited >= 1.5  # not before a ping could have gone unanswered


@needs_redis
async def test_two_processes_behave_as_one(tmp_path: Path) -> None:
    assert REDIS_URL is not None
    env = {
        **FAST,
        "BACKLOT_REDIS_URL": REDIS_URL,
        "BACKLOT_REDIS_PREFIX": f"t{uuid.uuid4().hex[:8]}:",  # apart from earlier runs
        "BACKLOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}",
    }
    with ExitStack() as stack:
        base_a = stack.enter_context(running_server(tmp_path, env))
        base_b = stack.enter_context(running_server(tmp_path, env))
        team = await make_team(base_a)
        async with listening(base_b, team.admin, team.project) as on_b:
            body = {"project_id": team.project, "file_name": "a.jpg"}
            assert (await rest(team, team.guest, "/v1/labeling/lock", body)).status_code == 200
            name, data = await on_b.next()
            assert (name, data["file"]) == ("lock_acquired", "a.jpg")
            b_team = Team(base_b, team.project, team.admin, team.admin, 0)
            refused = await rest(b_team, team.admin, "/v1/labeling/lock", body)
            assert refused.status_code == 409  # the lock taken through A is held on B
            assert refused.json()["code"] == "lock_held"


@needs_redis
async def test_a_lock_change_is_one_redis_publish(tmp_path: Path) -> None:
    """The bus is the one cross-process path: a lock change heard by a socket on another
    process costs exactly one PUBLISH (no second fan-out beside it)."""
    assert REDIS_URL is not None
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    env = {
        **FAST,
        "BACKLOT_REDIS_URL": REDIS_URL,
        "BACKLOT_REDIS_PREFIX": prefix,
        "BACKLOT_LABELING_LOCK_TTL_SECONDS": "60",
        "BACKLOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}",
    }
    redis = Redis.from_url(REDIS_URL)
    published = redis.pubsub()
    try:
        with ExitStack() as stack:
            base_a, base_b = (stack.enter_context(running_server(tmp_path, env)) for _ in "ab")
            team = await make_team(base_a)
            async with listening(base_b, team.admin, team.project) as on_b:
                # Every channel of this service carries its prefix, whatever carries it.
                await published.psubscribe(f"{prefix}*")
                body = {"project_id": team.project, "file_name": "a.jpg"}
                assert (await rest(team, team.guest, "/v1/labeling/lock", body)).is_success
                assert (await on_b.next())[0] == "lock_acquired"
                await asyncio.sleep(0.5)  # a second publish, were there one, is in by now
                messages = []
                while message := await published.get_message(timeout=0.1):
                    if message["type"] == "pmessage":
                        messages.append(message["channel"])
                assert len(messages) == 1, messages
                assert messages[0].startswith(f"{prefix}bus:".encode())
    finally:
        await published.aclose()  # type: ignore[no-untyped-call]
        await delete_prefix(redis, prefix)
        await redis.aclose()


@needs_redis
async def test_fifty_users_race_for_one_file_over_two_processes(tmp_path: Path) -> None:
    assert REDIS_URL is not None
    env = {
        **FAST,
        "BACKLOT_REDIS_URL": REDIS_URL,
        "BACKLOT_REDIS_PREFIX": f"t{uuid.uuid4().hex[:8]}:",  # apart from earlier runs
        "BACKLOT_LABELING_LOCK_TTL_SECONDS": "60",
        "BACKLOT_USER_ADMIN_RATE_LIMIT": "1000/hour",  # one admin adds fifty racers
        "BACKLOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}",
    }
    with ExitStack() as stack:
        bases = [stack.enter_context(running_server(tmp_path, env)) for _ in range(2)]
        team = await make_team(bases[0])
        tokens = []
        async with httpx.AsyncClient(base_url=bases[0], timeout=30) as http:
            admin = {"Authorization": f"Bearer {team.admin}"}
            for _ in range(50):
                email = unique_email("racer")
                await http.post(
                    "/v1/users", json={"email": email, "password": PASSWORD}, headers=admin
                )
                login = {"email": email, "password": PASSWORD}
                tokens.append(
                    (await http.post("/v1/auth/login", json=login)).json()["access_token"]
                )

        async def attempt(index: int, file: str, token: str) -> httpx.Response:
            async with httpx.AsyncClient(base_url=bases[index % 2], timeout=30) as http:
                return await http.post(
                    "/v1/labeling/lock",
                    json={"project_id": team.project, "file_name": file},
                    headers={"Authorization": f"Bearer {token}"},
                )

        results = await asyncio.gather(
            *(attempt(i, "hot.jpg", token) for i, token in enumerate(tokens))
        )
        codes = sorted(r.status_code for r in results)
        assert codes == [200] + [409] * 49, codes
        assert {r.json()["code"] for r in results if r.status_code == 409} == {"lock_held"}

        # One user asking for two files at once, on both processes: at most one grant.
        both = await asyncio.gather(*(attempt(i, f"file{i}.jpg", team.guest) for i in range(6)))
        assert sum(r.status_code == 200 for r in both) == 1
        assert {r.json()["code"] for r in both if r.status_code == 409} == {"owner_limit"}


async def test_oversized_message_drops_only_that_client(server: str) -> None:
    team = await make_team(server)
    async with listening(server, team.admin, team.project) as watcher:
        flooder = socketio.AsyncClient(reconnection=False)
        await flooder.connect(server, auth={"token": team.guest}, transports=["websocket"])
        await flooder.emit("join_project", {"project_id": team.project, "pad": "x" * 200_000})
        for _ in range(50):  # the server closes a connection whose message exceeds 64 KiB
            if not flooder.connected:
                break
            await asyncio.sleep(0.1)
        assert not flooder.connected
        body = {"project_id": team.project, "file_name": "a.jpg"}
        assert (await rest(team, team.guest, "/v1/labeling/lock", body)).status_code == 200
        assert (await watcher.next())[0] == "lock_acquired"  # everyone else is unaffected


def on_database(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


@needs_redis
async def test_socketio_fan_out_stays_within_one_redis_database(tmp_path: Path) -> None:
    """Pub/sub channels are global to a Redis server, whatever the database number: two
    services on different databases (same prefix) must not hear each other's emits,
    while processes of one service (same database and prefix) do."""
    assert REDIS_URL is not None
    own = int(urlsplit(REDIS_URL).path.strip("/") or 0)
    other = 15 if own != 15 else 14
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    env = {**FAST, "BACKLOT_REDIS_PREFIX": prefix, "BACKLOT_LABELING_LOCK_TTL_SECONDS": "60"}
    here = {**env, "BACKLOT_REDIS_URL": REDIS_URL}
    here["BACKLOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'here.db'}"
    there = {**env, "BACKLOT_REDIS_URL": on_database(REDIS_URL, other)}
    there["BACKLOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'there.db'}"
    try:
        with ExitStack() as stack:
            base_a = stack.enter_context(running_server(tmp_path, here))
            base_b = stack.enter_context(running_server(tmp_path, there))
            base_b2 = stack.enter_context(running_server(tmp_path, there))
            team_a, team_b = await make_team(base_a), await make_team(base_b)
            assert team_a.project == team_b.project  # same room name on both services
            async with listening(base_b, team_b.admin, team_b.project) as on_b:
                body = {"project_id": team_a.project, "file_name": "from-a.jpg"}
                assert (await rest(team_a, team_a.guest, "/v1/labeling/lock", body)).is_success
                # B hears the other process of its own service through Redis, like it
                # would hear A's emit had they shared a channel, and A's came first.
                team_b2 = Team(base_b2, team_b.project, team_b.admin, team_b.guest, 0)
                body = {"project_id": team_b.project, "file_name": "from-b2.jpg"}
                assert (await rest(team_b2, team_b.guest, "/v1/labeling/lock", body)).is_success
                name, data = await on_b.next()
                assert (name, data["file"]) == ("lock_acquired", "from-b2.jpg")
    finally:
        for url in (REDIS_URL, on_database(REDIS_URL, other)):
            redis = Redis.from_url(url)
            await delete_prefix(redis, prefix)
            await redis.aclose()


async def disconnected(client: socketio.AsyncClient) -> bool:
    """Wait (bounded) for the server to close the client's connection."""
    for _ in range(100):
        if not client.connected:
            return True
        await asyncio.sleep(0.05)
    return False


async def next_error(listener: Listener, timeout: float = 5) -> dict[str, Any]:
    while True:
        name, data = await listener.next(timeout)
        if name == "error":
            return data


async def test_an_event_flood_gets_rate_limited_then_disconnected(server: str) -> None:
    team = await make_team(server)
    other = await make_team(server)
    async with listening(server, other.admin, other.project) as bystander:
        flooder = Listener()
        await flooder.client.connect(server, auth={"token": team.guest}, transports=["websocket"])
        for _ in range(300):
            await flooder.client.emit("join_project", {"project_id": team.project})
        assert (await next_error(flooder))["code"] == "rate_limited"
        assert await disconnected(flooder.client)
        # Everyone else is served as before.
        body = {"project_id": other.project, "file_name": "a.jpg"}
        assert (await rest(other, other.admin, "/v1/labeling/lock", body)).status_code == 200
        assert (await bystander.next())[0] == "lock_acquired"


def access_token(user_id: int, seconds: int) -> str:
    """An access token of `user_id` signed as the server does, living `seconds`."""
    signer = TokenSigner(TEST_SECRET, "backlot", SystemClock())
    return signer.issue(str(user_id), ACCESS_AUDIENCE, timedelta(seconds=seconds))


async def test_a_socket_is_closed_when_its_token_expires_unless_renewed(server: str) -> None:
    team = await make_team(server)
    # `exp` is in whole seconds: a "4 s" token lives 3-4 s, time enough to renew it on a
    # loaded machine (at once, before the other connects); the other's "5 s" token, issued
    # later, lapses after it, so by the time the other is closed, the first would have been.
    renewing, lapsing = Listener(), Listener()
    try:
        for listener, seconds in ((renewing, 4), (lapsing, 5)):
            token = access_token(team.guest_id, seconds)
            await listener.client.connect(server, auth={"token": token}, transports=["websocket"])
            joined = await listener.client.call("join_project", {"project_id": team.project})
            assert joined["ok"]
            if listener is renewing:
                ack = await renewing.client.call("authenticate", {"token": team.guest}, timeout=5)
                assert ack["ok"], ack
        assert (await next_error(lapsing, timeout=10))["code"] == "token_expired"
        assert await disconnected(lapsing.client)
        assert renewing.client.connected
        assert (await renewing.client.call("heartbeat", {}, timeout=5))["ok"]
    finally:
        await renewing.client.disconnect()


async def test_authenticating_as_another_user_disconnects(server: str) -> None:
    team = await make_team(server)
    listener = Listener()
    await listener.client.connect(server, auth={"token": team.guest}, transports=["websocket"])
    await listener.client.emit("authenticate", {"token": team.admin})
    assert (await next_error(listener))["code"] == "user_mismatch"
    assert await disconnected(listener.client)


@needs_redis
async def test_an_ended_session_disconnects_the_users_sockets_on_every_process(
    tmp_path: Path,
) -> None:
    assert REDIS_URL is not None
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    env = {
        **FAST,
        "BACKLOT_REDIS_URL": REDIS_URL,
        "BACKLOT_REDIS_PREFIX": prefix,
        "BACKLOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}",
    }
    redis = Redis.from_url(REDIS_URL)
    bus = build_bus(redis, prefix=prefix)
    try:
        with ExitStack() as stack:
            bases = [stack.enter_context(running_server(tmp_path, env)) for _ in range(2)]
            team = await make_team(bases[0])
            async with (
                listening(bases[0], team.guest, team.project) as on_a,
                listening(bases[1], team.guest, team.project) as on_b,
                listening(bases[1], team.admin, team.project) as admin,
            ):
                # Announced from elsewhere (as accounts does at logout), not by either server.
                await announce_session_end(bus, team.guest_id, "logout")
                for listener in (on_a, on_b):
                    error = await next_error(listener)
                    assert (error["code"], error["reason"]) == ("session_ended", "logout")
                    assert await disconnected(listener.client)
                assert admin.client.connected
                assert (await admin.client.call("heartbeat", {}, timeout=5))["ok"]
    finally:
        await bus.close()
        await delete_prefix(redis, prefix)
        await redis.aclose()


@asynccontextmanager
async def serving_in_process(settings: Settings) -> AsyncIterator[tuple[str, AppState]]:
    """The app under a real uvicorn in this process, so the test reaches its in-process
    bus (the embedded shape has no other way in)."""
    asgi = create_asgi_app(settings)
    sockets = getattr(asgi, "app", asgi)  # inside the security headers
    assert isinstance(sockets, socketio.ASGIApp)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(asgi, host="127.0.0.1", port=port, lifespan="on", log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not serving.done(), "the server did not start"
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}", sockets.other_asgi_app.state.backlot
    finally:
        server.should_exit = True
        await serving


async def test_an_ended_session_disconnects_the_users_sockets(settings: Settings) -> None:
    """Both shapes: in-process bus embedded, Redis scaled."""
    async with serving_in_process(settings) as (base, state):
        team = await make_team(base)
        async with (
            listening(base, team.guest, team.project) as guest,
            listening(base, team.admin, team.project) as admin,
        ):
            await announce_session_end(state.bus, team.guest_id, "password_changed")
            error = await next_error(guest)
            assert (error["code"], error["reason"]) == ("session_ended", "password_changed")
            assert await disconnected(guest.client)
            assert (await admin.client.call("heartbeat", {}, timeout=5))["ok"]


async def _second_project(team: Team) -> int:
    made = await rest(team, team.admin, "/v1/labeling/projects", {"name": "Q"})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def test_a_leave_racing_a_join_leaves_no_subscription_behind(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving_in_process(settings) as (base, state):
        sockets = state.runtimes.get(LabelingRuntime).sockets
        entering = sockets.presence.enter

        async def slow_enter(*args: Any) -> None:
            await asyncio.sleep(0.3)  # a slow Redis round trip: the leave lands meanwhile
            await entering(*args)

        monkeypatch.setattr(sockets.presence, "enter", slow_enter)
        team = await make_team(base)
        listener = Listener()
        await listener.client.connect(base, auth={"token": team.guest}, transports=["websocket"])
        joined: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await listener.client.emit(
            "join_project", {"project_id": team.project}, callback=joined.set_result
        )
        await asyncio.sleep(0.05)
        left = await listener.client.call("leave_project", {"project_id": team.project}, timeout=5)
        assert left["ok"], left
        ack = await asyncio.wait_for(joined, 5)
        assert (ack["ok"], ack["code"]) == (False, "not_joined")
        assert sockets._projects.channels() == {}
        await listener.client.disconnect()


async def test_a_failed_leave_on_disconnect_does_not_strand_the_other_projects(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving_in_process(settings) as (base, state):
        sockets = state.runtimes.get(LabelingRuntime).sockets
        team = await make_team(base)
        other = await _second_project(team)
        listener = Listener()
        await listener.client.connect(base, auth={"token": team.guest}, transports=["websocket"])
        for project in (team.project, other):
            ack = await listener.client.call("join_project", {"project_id": project}, timeout=5)
            assert ack["ok"], ack
        assert len(sockets._projects.channels()) == 2
        failures = 0

        async def failing_leave(*args: Any) -> None:
            nonlocal failures
            failures += 1
            raise ConnectionError("Redis went away")

        monkeypatch.setattr(sockets.presence, "leave", failing_leave)
        await listener.client.disconnect()
        for _ in range(100):
            if failures == 2:
                break
            await asyncio.sleep(0.05)
        assert failures == 2  # both projects were left, each on its own
        assert sockets._projects.channels() == {}
