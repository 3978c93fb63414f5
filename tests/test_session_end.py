"""Sessions that end through the API end every socket of that user: the labeling
Socket.IO socket and the workspace WebSocket of a real `backlot serve` are closed after a
logout, a password change or an admin's role change, and the old access token no longer
opens a socket or calls the API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
import socketio

from tests.conftest import PG_URL, REDIS_URL, TEST_SECRET, needs_postgres, needs_redis
from tests.helpers import PASSWORD, bearer, migrated_pg_database, running_server
from tests.labeling.test_realtime import Team, disconnected, listening, make_team, next_error
from tests.workspace.conftest import open_room
from tests.workspace.peers import connect

ENV = {"BACKLOT_SECRET_KEY": TEST_SECRET, "BACKLOT_LOG_LEVEL": "warning"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("session-end"), ENV) as base:
        yield base


async def _sign_in(base: str, email: str, password: str = PASSWORD) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base) as http:
        answer = await http.post("/v1/auth/login", json={"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


async def _guest_email(team: Team) -> str:
    async with httpx.AsyncClient(base_url=team.base) as http:
        me = await http.get("/v1/users/me", headers=bearer(team.guest))
        return str(me.json()["email"])


async def _end_and_check(team: Team, end: str, api: str | None = None) -> None:
    """The guest has a labeling socket and a workspace socket; `end` ends their session
    through the API (of another process when `api` names one); both sockets close, and
    the old token opens nothing any more."""
    room = f"end-{uuid.uuid4().hex[:8]}"
    await open_room(team.base, bearer(team.admin), room_id=room, title=room, visibility="members")
    email = await _guest_email(team)
    tokens = await _sign_in(team.base, email)  # the session that `end` ends
    token = tokens["access_token"]
    workspace = await connect(team.base, room, nickname="guest", token=token)
    assert "INIT_STATE" in workspace.kinds, workspace.frames
    async with (
        listening(team.base, token, team.project) as guest,
        listening(team.base, team.admin, team.project) as admin,
    ):
        async with httpx.AsyncClient(base_url=api or team.base) as http:
            if end == "logout":
                answer = await http.post(
                    "/v1/auth/logout",
                    json={"refresh_token": tokens["refresh_token"]},
                    headers=bearer(token),
                )
            elif end == "password_change":
                answer = await http.patch(
                    "/v1/users/me",
                    json={"password": PASSWORD + " again", "current_password": PASSWORD},
                    headers=bearer(token),
                )
            else:  # the admin makes the guest an admin: their role changed
                me = await http.get("/v1/users/me", headers=bearer(token))
                answer = await http.patch(
                    f"/v1/users/{me.json()['id']}",
                    json={"role": "admin"},
                    headers=bearer(team.admin),
                )
            assert answer.status_code < 300, answer.text
        assert (await next_error(guest))["code"] == "session_ended"
        assert await disconnected(guest.client)
        assert (await workspace.expect("ERROR"))["code"] == "session_ended"
        assert (await workspace.expect_closed())[0] == 4401
        # Only the guest's sockets: the admin's stays.
        assert (await admin.client.call("heartbeat", {}, timeout=5))["ok"]
    # The old access token opens no socket and calls nothing.
    again = socketio.AsyncClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect(team.base, auth={"token": token}, transports=["websocket"])
    refused = await connect(team.base, room, nickname="guest", token=token)
    assert refused.frames[0]["payload"]["code"] == "session_ended"
    assert (await refused.expect_closed())[0] == 4401
    async with httpx.AsyncClient(base_url=team.base) as http:
        answer = await http.get("/v1/users/me", headers=bearer(token))
    assert (answer.status_code, answer.json()["code"]) == (401, "session_ended")


@pytest.mark.parametrize("end", ["logout", "password_change", "role_change"])
async def test_an_ended_session_closes_its_sockets_and_its_token(server: str, end: str) -> None:
    await _end_and_check(await make_team(server), end)


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Two processes sharing PostgreSQL and Redis, as behind a load balancer."""
    assert PG_URL is not None and REDIS_URL is not None
    with migrated_pg_database(PG_URL, "session_end") as database, ExitStack() as stack:
        env = {
            **ENV,
            "BACKLOT_DATABASE_URL": database,
            "BACKLOT_REDIS_URL": REDIS_URL,
            "BACKLOT_REDIS_PREFIX": f"t{uuid.uuid4().hex[:8]}:",
        }
        folder = tmp_path_factory.mktemp("session-end-scaled")
        a, b = (stack.enter_context(running_server(folder, env)) for _ in range(2))
        yield a, b


@needs_postgres
@needs_redis
@pytest.mark.parametrize("end", ["logout", "password_change", "role_change"])
async def test_a_session_ended_through_one_process_ends_on_the_other(
    scaled: tuple[str, str], end: str
) -> None:
    """Scaled: the sockets and the first calls are on process A, the call that ends the
    session goes through process B; A closes the sockets and refuses the old token."""
    a, b = scaled
    await _end_and_check(await make_team(a), end, api=b)
