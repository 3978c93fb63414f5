"""Group commit: commits that arrive while a room's transaction runs are written together
in the next one, each with its own version and snapshot row, announced only once stored,
in one order; on SQLite and PostgreSQL, in one process and over two."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import event, func, select

from backlot.core.db import unit_of_work
from backlot.core.errors import ProblemError
from backlot.core.settings import Settings
from backlot.workspace import service
from backlot.workspace.commits import Author, apply_commit
from backlot.workspace.models import WorkspaceSnapshot
from backlot.workspace.runtime import WorkspaceRuntime
from backlot.workspace.snapshots import pack, store_batch, xml_of
from tests.conftest import PG_URL, REDIS_URL, needs_postgres, needs_redis
from tests.contract.conftest import delete_prefix
from tests.helpers import build_world, migrated_pg_database, running_server
from tests.workspace.conftest import FAST
from tests.workspace.peers import Peer, connect
from tests.workspace.test_api import app_state_of


async def _new_room(client: AsyncClient, settings: Settings, app: FastAPI, room_id: str) -> int:
    world = await build_world(client, settings)
    created = await client.post(
        "/v1/workspace/rooms",
        json={"room_id": room_id, "title": room_id},
        headers=world.guest.headers,
    )
    assert created.status_code == 201, created.text
    async with app_state_of(app).sessionmaker() as session:
        room = await service.find_room(session, room_id)
        assert room is not None
        return room.id


async def test_commits_arriving_together_share_a_transaction_each_with_its_version(
    client: AsyncClient, app: FastAPI, settings: Settings
) -> None:
    pk = await _new_room(client, settings, app, "grouped")
    state = app_state_of(app)
    turns = state.runtimes.get(WorkspaceRuntime).turns
    transactions: list[int] = []
    listener = lambda _connection: transactions.append(1)  # noqa: E731
    event.listen(state.engine.sync_engine, "commit", listener)
    commits = 30
    try:
        events = await asyncio.gather(
            *(
                apply_commit(
                    state,
                    turns,
                    room_id="grouped",
                    room_pk=pk,
                    author=Author(f"c{i}", f"n{i}", None),
                    block_id=f"b{i}",
                    events=[i],
                    xml=f"<w{i}/>",
                )
                for i in range(commits)
            )
        )
    finally:
        event.remove(state.engine.sync_engine, "commit", listener)
    # In the order they were handed in, each its own version, announced in that order.
    assert [e.data["version"] for e in events] == list(range(1, commits + 1))
    assert [e.data["events"] for e in events] == [[i] for i in range(commits)]
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    # The first went alone; the others arrived while it was written, and went together.
    assert 1 <= len(transactions) <= 3, transactions
    async with unit_of_work(state.sessionmaker) as session:
        rows = (
            await session.scalars(
                select(WorkspaceSnapshot)
                .where(WorkspaceSnapshot.room_id == pk)
                .order_by(WorkspaceSnapshot.version)
            )
        ).all()
        room = await service.find_room(session, "grouped")
        assert room is not None
        assert [(r.version, xml_of(r), r.author) for r in rows] == [
            (i + 1, f"<w{i}/>", f"n{i}") for i in range(commits)
        ]
        assert room.version == commits
        assert room.snapshot_bytes == sum(r.stored_bytes for r in rows)


async def test_a_commit_over_the_quota_takes_no_version_and_spares_its_batch(
    client: AsyncClient, app: FastAPI, settings: Settings
) -> None:
    pk = await _new_room(client, settings, app, "quota")
    state = app_state_of(app)
    small, big, other = pack("<a/>"), pack("<big>" + "x" * 5000 + "</big>"), pack("<b/>")
    quota = len(small.data) + len(other.data) + 10  # room for the two small ones only
    async with unit_of_work(state.sessionmaker) as session:
        stored = await store_batch(
            session,
            pk,
            [
                (small, "ada", None, None),
                (big, "bob", None, None),  # over the quota: refused alone
                (other, "cy", None, None),
                (other, "cy", None, None),  # repeats the latest: a version, no row
                (None, "dee", None, None),  # no workspace: a version, no row
            ],
            quota=quota,
        )
    assert stored.outcomes[0] == 1
    assert isinstance(stored.outcomes[1], ProblemError)
    assert stored.outcomes[1].code == "quota_exceeded"
    assert stored.outcomes[2:] == [2, 3, 4]
    assert stored.latest == (2, 2)  # the batch's newest snapshot: item 2, version 2
    async with unit_of_work(state.sessionmaker) as session:
        kept = (
            await session.execute(
                select(WorkspaceSnapshot.version, WorkspaceSnapshot.author)
                .where(WorkspaceSnapshot.room_id == pk)
                .order_by(WorkspaceSnapshot.version)
            )
        ).all()
        used = await session.scalar(
            select(func.sum(WorkspaceSnapshot.stored_bytes)).where(WorkspaceSnapshot.room_id == pk)
        )
        room = await service.find_room(session, "quota")
        assert room is not None
        assert [tuple(row) for row in kept] == [(1, "ada"), (2, "cy")]
        assert (room.version, room.snapshot_bytes) == (4, used)


# Over real sockets: bursts of commits from many clients at once, so that batches form.

CLIENTS, EACH = 12, 5


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    assert PG_URL is not None
    with migrated_pg_database(PG_URL, "wsgroup") as url:
        yield url


def _shapes() -> list[Any]:
    return [
        pytest.param("sqlite", id="sqlite-embedded"),
        pytest.param("postgresql", id="postgresql-embedded", marks=needs_postgres),
        pytest.param(
            "scaled", id="postgresql-redis-two-processes", marks=[needs_postgres, needs_redis]
        ),
    ]


@pytest.fixture(params=_shapes())
def shape(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[dict[str, str], int]]:
    """The servers' environment and how many processes share the room."""
    if request.param == "sqlite":
        yield {**FAST, "BACKLOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'g.db'}"}, 1
        return
    url: str = request.getfixturevalue("pg_url")
    if request.param == "postgresql":
        yield {**FAST, "BACKLOT_DATABASE_URL": url}, 1
        return
    assert REDIS_URL is not None
    prefix = f"g{uuid.uuid4().hex[:8]}:"
    yield (
        {
            **FAST,
            "BACKLOT_DATABASE_URL": url,
            "BACKLOT_REDIS_URL": REDIS_URL,
            "BACKLOT_REDIS_PREFIX": prefix,
        },
        2,
    )
    anyio.run(_flush, prefix)


async def _flush(prefix: str) -> None:
    from redis.asyncio import Redis

    assert REDIS_URL is not None
    redis = Redis.from_url(REDIS_URL)
    try:
        await delete_prefix(redis, prefix)
    finally:
        await redis.aclose()


async def _burst(bases: list[str], room: str) -> list[list[dict[str, Any]]]:
    """Every client sends its commits without waiting; what each client was told."""
    peers: list[Peer] = [
        await connect(bases[i % len(bases)], room, nickname=f"p{i}") for i in range(CLIENTS)
    ]
    last = peers[-1].client_id
    for peer in peers:
        await peer.expect("USER_JOINED", lambda p: p["clientId"] == last)
    for round_ in range(EACH):
        for index, peer in enumerate(peers):
            payload = {
                "blockId": f"b{index}",
                "events": [[index, round_]],
                "workspaceXml": f"<w c='{index}' r='{round_}'/>",
            }
            await peer.send("COMMIT", payload)
    seen = []
    for peer in peers:
        seen.append([await peer.expect("COMMIT_APPLY", timeout=30) for _ in range(CLIENTS * EACH)])
        assert "ERROR" not in peer.kinds, [f for f in peer.frames if f["t"] == "ERROR"]
    for peer in peers:
        await peer.close()
    return seen


async def test_bursts_of_commits_get_one_gapless_order_and_each_is_durable(
    tmp_path: Path, shape: tuple[dict[str, str], int]
) -> None:
    env, processes = shape
    room = f"burst-{uuid.uuid4().hex[:8]}"
    commits = CLIENTS * EACH
    with ExitStack() as stack:
        bases = [stack.enter_context(running_server(tmp_path, env)) for _ in range(processes)]
        seen = await _burst(bases, room)
    order = [(a["version"], a["seq"], tuple(a["events"][0])) for a in seen[0]]
    assert [version for version, _, _ in order] == list(range(1, commits + 1))
    for other in seen[1:]:  # the same order, with the same seq numbers, at every client
        assert [(a["version"], a["seq"], tuple(a["events"][0])) for a in other] == order
    for index in range(CLIENTS):  # each client's commits in the order it sent them
        mine = [made for _, _, made in order if made[0] == index]
        assert mine == [(index, round_) for round_ in range(EACH)]
    # Announced means stored: after every process stopped, a fresh one has each commit's
    # own snapshot under the version it was announced with.
    with running_server(tmp_path, env) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            history = await http.get(f"/v1/workspace/rooms/{room}/snapshots?limit=100")
            assert history.json()["total"] == commits
            for version, _, (index, round_) in order:
                got = await http.get(f"/v1/workspace/rooms/{room}/snapshots/{version}")
                assert got.json()["xml"] == f"<w c='{index}' r='{round_}'/>", version
            listed = await http.get(f"/v1/workspace/rooms/{room}")
            assert listed.json()["version"] == commits
