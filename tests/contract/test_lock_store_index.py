"""The Redis store's scope index (`lock-scopes`, the sweeper's list of scopes): an acquire
writes it only when its scope had no lock left, or when this process has not written it
for a while; the sweeper still finds every lapsed lock."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from backlot.core.clock import FrozenClock
from backlot.core.locks import Grant
from backlot.core.locks.redis import RedisLockStore
from tests.conftest import REDIS_URL, needs_redis
from tests.contract.conftest import delete_prefix

pytestmark = needs_redis
TTL = timedelta(seconds=60)


@pytest.fixture
async def redis() -> AsyncIterator[tuple[Redis, str]]:
    assert REDIS_URL is not None
    client = Redis.from_url(REDIS_URL)
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    yield client, prefix
    await delete_prefix(client, prefix)
    await client.aclose()


class Counting(Redis):  # type: ignore[misc]
    """Counts the index writes (ZADD)."""

    zadds = 0

    async def zadd(self, *args: object, **kwargs: object) -> object:
        type(self).zadds += 1
        return await super().zadd(*args, **kwargs)  # type: ignore[arg-type]


async def test_acquires_in_a_busy_scope_skip_the_index_and_are_swept(
    redis: tuple[Redis, str], clock: FrozenClock
) -> None:
    _, prefix = redis
    assert REDIS_URL is not None
    client = Counting.from_url(REDIS_URL)
    Counting.zadds = 0
    store = RedisLockStore(client, clock, prefix)
    try:
        for index in range(10):
            granted = await store.acquire("p1", f"f{index}.jpg", f"u{index}", TTL)
            assert isinstance(granted, Grant)
        assert Counting.zadds == 1  # the first acquire found the scope empty
        clock.advance(TTL + timedelta(seconds=1))
        swept = await RedisLockStore(client, clock, prefix).sweep()  # another process
        assert len(swept) == 10
        assert await client.zcard(f"{prefix}lock-scopes") == 0  # empty: forgotten
        clock.advance(timedelta(seconds=1))
        assert isinstance(await store.acquire("p1", "again.jpg", "u1", TTL), Grant)
        assert Counting.zadds == 2  # empty again: indexed again
        clock.advance(TTL + timedelta(seconds=1))
        assert [lock.resource for lock in await store.sweep()] == ["again.jpg"]
    finally:
        await client.aclose()


async def test_an_acquire_between_sweep_and_forget_keeps_the_scope(
    redis: tuple[Redis, str], clock: FrozenClock
) -> None:
    client, prefix = redis
    sweeper, writer = RedisLockStore(client, clock, prefix), RedisLockStore(client, clock, prefix)
    assert isinstance(await writer.acquire("p1", "a.jpg", "u1", TTL), Grant)
    await writer.release("p1", "a.jpg", "u1")
    index = f"{prefix}lock-scopes"
    [(scope, seen)] = await client.zrange(index, 0, -1, withscores=True)
    # The sweeper's steps, with an acquire between its sweep and its forget:
    assert (await sweeper._run("sweep", "p1", 100))["remaining"] == 0
    clock.advance(timedelta(seconds=1))
    assert isinstance(await writer.acquire("p1", "b.jpg", "u2", TTL), Grant)
    await sweeper._unindex(keys=[index], args=[scope.decode(), str(int(seen))])
    assert await client.zscore(index, "p1") is not None
    clock.advance(TTL + timedelta(seconds=1))
    assert [lock.resource for lock in await sweeper.sweep()] == ["b.jpg"]


async def test_a_lost_index_entry_is_written_again_in_time(
    redis: tuple[Redis, str], clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, prefix = redis
    store = RedisLockStore(client, clock, prefix)
    assert isinstance(await store.acquire("p1", "a.jpg", "u1", TTL), Grant)
    await client.delete(f"{prefix}lock-scopes")  # say a write was lost
    assert isinstance(await store.acquire("p1", "b.jpg", "u2", TTL), Grant)
    assert await client.zscore(f"{prefix}lock-scopes", "p1") is None
    monkeypatch.setattr("backlot.core.locks.redis.INDEX_REFRESH_SECONDS", 0.0)
    assert isinstance(await store.acquire("p1", "c.jpg", "u3", TTL), Grant)
    assert await client.zscore(f"{prefix}lock-scopes", "p1") is not None
