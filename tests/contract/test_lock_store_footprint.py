"""What a lock store keeps once its locks are gone: nothing per resource ever locked.

A guest could otherwise grow the store without bound by locking ever-new file names
(or a socket by joining: presence is a lock store too), each leaving a fencing entry.
"""

from __future__ import annotations

import gc
import types
from collections.abc import Callable
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from backlot.core.clock import FrozenClock
from backlot.core.locks import Grant, LockStore
from backlot.core.locks.redis import RedisLockStore
from tests.conftest import needs_redis

TTL = timedelta(seconds=60)


async def redis_footprint(redis: Redis, prefix: str) -> int:
    """Keys under the prefix, plus the fields, members and entries inside them."""
    total = 0
    async for key in redis.scan_iter(match=f"{prefix}*", count=500):
        total += 1
        kind = (await redis.type(key)).decode()
        if kind == "hash":
            total += await redis.hlen(key)
        elif kind == "set":
            total += await redis.scard(key)
        elif kind == "zset":
            total += await redis.zcard(key)
    return total


def reachable_objects(root: object, *skip: object) -> int:
    """How many objects the in-process store holds on to (classes and code aside)."""
    seen: set[int] = {id(obj) for obj in skip}
    stack, count = [root], 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(
            obj, type | types.ModuleType | types.FunctionType | types.MethodType
        ):
            continue
        seen.add(id(obj))
        count += 1
        stack.extend(gc.get_referents(obj))
    return count


async def footprint(store: LockStore, clock: FrozenClock) -> int:
    if isinstance(store, RedisLockStore):
        return await redis_footprint(store._redis, store._prefix)
    return reachable_objects(store, clock)


async def lock_and_let_go(store: LockStore, clock: FrozenClock, names: list[str]) -> None:
    """Lock every name; release half, let the other half lapse and be swept."""
    for index, name in enumerate(names):
        grant = await store.acquire("p1", name, f"user{index % 7}", TTL, info={"name": "U"})
        assert isinstance(grant, Grant)
        if index % 2:
            await store.release("p1", name, grant.lock.owner, grant.lock.token)
    clock.advance(TTL)
    await store.sweep()
    assert await store.holders("p1") == []


async def test_footprint_does_not_grow_with_resources_ever_locked(
    store: LockStore, clock: FrozenClock
) -> None:
    await lock_and_let_go(store, clock, [f"first{i}.jpg" for i in range(4)])
    baseline = await footprint(store, clock)
    await lock_and_let_go(store, clock, [f"name{i}.jpg" for i in range(300)])
    assert await footprint(store, clock) == baseline


@pytest.mark.parametrize("lock_stores", [pytest.param("redis", marks=needs_redis)], indirect=True)
async def test_redis_counter_starts_above_the_old_per_resource_tokens(
    lock_stores: Callable[[], LockStore],
) -> None:
    """Stores written before the per-scope counter kept a hash of per-resource tokens
    under the same key; the first grant after the upgrade outranks all of them."""
    store = lock_stores()
    assert isinstance(store, RedisLockStore)  # the Redis key layout only
    redis, prefix = store._redis, store._prefix
    await redis.hset(f"{prefix}fence:{{p1}}", mapping={"a.jpg": 41, "b.jpg": 7})
    grant = await store.acquire("p1", "c.jpg", "alice", TTL)
    assert isinstance(grant, Grant) and grant.lock.token == 42
    assert await redis.type(f"{prefix}fence:{{p1}}") == b"string"
