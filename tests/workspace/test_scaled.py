"""The workspace across processes and restarts: two `backlot serve` processes sharing
Redis and PostgreSQL behave as one server, commits get one gapless order, and the
workspace survives every process stopping and the cache being flushed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import anyio
import pytest
from redis.asyncio import Redis

from tests.conftest import PG_URL, REDIS_URL, needs_postgres, needs_redis
from tests.contract.conftest import delete_prefix
from tests.helpers import migrated_pg_database, running_server
from tests.workspace.conftest import FAST
from tests.workspace.peers import Peer, connect, joined


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A database of this module's own: the servers' rows stay out of other tests."""
    assert PG_URL is not None
    with migrated_pg_database(PG_URL, "ws") as url:
        yield url


@pytest.fixture
def scaled(pg_url: str) -> Iterator[dict[str, str]]:
    assert REDIS_URL is not None
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    yield {
        **FAST,
        "BACKLOT_REDIS_URL": REDIS_URL,
        "BACKLOT_REDIS_PREFIX": prefix,
        "BACKLOT_DATABASE_URL": pg_url,
    }
    anyio.run(flush, prefix)


async def flush(prefix: str) -> None:
    assert REDIS_URL is not None
    redis = Redis.from_url(REDIS_URL)
    try:
        await delete_prefix(redis, prefix)
    finally:
        await redis.aclose()


def new_room() -> str:
    return f"room-{uuid.uuid4().hex[:10]}"


@needs_postgres
@needs_redis
async def test_two_processes_behave_as_one(tmp_path: Path, scaled: dict[str, str]) -> None:
    room = new_room()
    with ExitStack() as stack:
        a, b = (stack.enter_context(running_server(tmp_path, scaled)) for _ in range(2))
        async with joined(a, room, "on-a") as on_a, joined(b, room, "on-b") as on_b:
            assert {u["nickname"] for u in on_b.init["users"]} == {"on-a", "on-b"}
            assert (await on_a.expect("USER_JOINED"))["clientId"] == on_a.client_id
            assert (await on_a.expect("USER_JOINED"))["clientId"] == on_b.client_id

            await on_a.send("LOCK_ACQUIRE", {"blockId": "shared"})
            update = await on_b.expect("LOCK_UPDATE")
            assert update["owner"] == on_a.client_id
            await on_b.send("LOCK_ACQUIRE", {"blockId": "shared"})  # taken on A, refused on B
            assert (await on_b.expect("LOCK_DENIED"))["owner"] == on_a.client_id

            await on_a.send(
                "COMMIT", {"blockId": "shared", "events": ["e"], "workspaceXml": "<a/>"}
            )
            applied = await on_b.expect("COMMIT_APPLY")
            assert (applied["by"], applied["version"]) == (on_a.client_id, 1)
            await on_b.expect("LOCK_UPDATE", lambda p: p["owner"] is None)
        async with joined(b, room, "late") as late:
            assert late.init["workspaceXml"] == "<a/>"
            assert [u["nickname"] for u in late.init["users"]] == ["late"]


ROUNDS = 5  # commits per client: more chances for two processes to interleave


async def _commit_race(bases: list[str], room: str, clients: int) -> list[Peer]:
    peers = [await connect(bases[i % len(bases)], room, nickname=f"p{i}") for i in range(clients)]
    last = peers[-1].client_id
    for peer in peers:  # everyone is in before anyone commits
        await peer.expect("USER_JOINED", lambda p: p["clientId"] == last)

    async def lock_and_commit(index: int, peer: Peer) -> None:
        block = f"block-{index}"
        for round_ in range(ROUNDS):
            await peer.send("LOCK_ACQUIRE", {"blockId": block})
            await peer.expect("LOCK_UPDATE", lambda p: p["owner"] == peer.client_id)
            xml = f"<w{index}.{round_}/>"
            await peer.send("COMMIT", {"blockId": block, "events": [index], "workspaceXml": xml})

    await asyncio.gather(*(lock_and_commit(i, peer) for i, peer in enumerate(peers)))
    return peers


async def _assert_one_order(peers: list[Peer], clients: int) -> None:
    orders = []
    commits = clients * ROUNDS
    for peer in peers:
        applied = [await peer.expect("COMMIT_APPLY", timeout=30) for _ in range(commits)]
        orders.append([(a["version"], a["by"], a["seq"]) for a in applied])
    first = orders[0]
    assert [version for version, _, _ in first] == list(range(1, commits + 1))
    by_client = [by for _, by, _ in first]
    assert sorted(by_client.count(by) for by in set(by_client)) == [ROUNDS] * clients
    for order in orders[1:]:
        assert order == first  # the same order, with the same seq numbers, everywhere
    for peer in peers:
        await peer.close()


@needs_postgres
@needs_redis
async def test_concurrent_commits_over_two_processes_get_one_gapless_order(
    tmp_path: Path, scaled: dict[str, str]
) -> None:
    room = new_room()
    with ExitStack() as stack:
        bases = [stack.enter_context(running_server(tmp_path, scaled)) for _ in range(2)]
        peers = await _commit_race(bases, room, 20)
        await _assert_one_order(peers, 20)
        async with joined(bases[1], room, "after") as after:
            assert after.init["version"] == 20 * ROUNDS
            assert after.init["snapshotVersion"] == 20 * ROUNDS


async def test_concurrent_commits_in_one_process_get_one_gapless_order(
    tmp_path: Path,
) -> None:
    env = {**FAST, "BACKLOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'one.db'}"}
    with running_server(tmp_path, env) as base:
        peers = await _commit_race([base], new_room(), 20)
        await _assert_one_order(peers, 20)


async def _commit_then_restart(tmp_path: Path, env: dict[str, str], flush_cache: bool) -> None:
    room = new_room()
    with ExitStack() as stack:
        bases = [stack.enter_context(running_server(tmp_path, env)) for _ in range(2)]
        async with joined(bases[0], room, "before") as before:
            await before.send("COMMIT", {"blockId": "b", "events": [], "workspaceXml": "<kept/>"})
            await before.expect("COMMIT_APPLY")
            await before.send("COMMIT", {"blockId": "b", "events": ["no xml"]})
            await before.expect("COMMIT_APPLY")
    if flush_cache:
        await flush(env["BACKLOT_REDIS_PREFIX"])
    with running_server(tmp_path, env) as base:
        async with joined(base, room, "after") as after:
            init = after.init
            assert (init["workspaceXml"], init["snapshotVersion"], init["version"]) == (
                "<kept/>",
                1,
                2,
            )
            assert init["users"][0]["nickname"] == "after" and len(init["users"]) == 1
            await after.send("COMMIT", {"blockId": "b", "events": []})
            assert (await after.expect("COMMIT_APPLY"))["version"] == 3  # never reused


@needs_postgres
@needs_redis
async def test_the_workspace_survives_every_process_and_the_cache(
    tmp_path: Path, scaled: dict[str, str]
) -> None:
    await _commit_then_restart(tmp_path, scaled, flush_cache=True)


async def test_the_embedded_workspace_survives_a_restart(tmp_path: Path) -> None:
    env = {**FAST, "BACKLOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'solo.db'}"}
    await _commit_then_restart(tmp_path, env, flush_cache=False)
