"""Backends for the contract suites: each built by the same factory the app uses."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from backlot.core.clock import FrozenClock
from backlot.core.locks import LockStore, build_lock_store
from tests.conftest import REDIS_URL, needs_redis

BACKENDS = ["memory", pytest.param("redis", marks=needs_redis)]


async def delete_prefix(redis: Redis, prefix: str) -> None:
    async for key in redis.scan_iter(match=f"{prefix}*", count=500):
        await redis.delete(key)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(params=BACKENDS)
async def lock_stores(
    request: pytest.FixtureRequest, clock: FrozenClock
) -> AsyncIterator[Callable[[], LockStore]]:
    """A factory of stores sharing one backend: two stores are like two processes."""
    if request.param == "memory":
        shared = build_lock_store(None, clock)
        yield lambda: shared
        return
    assert REDIS_URL is not None
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    clients: list[Redis] = []

    def make() -> LockStore:
        client = Redis.from_url(REDIS_URL)
        clients.append(client)
        return build_lock_store(client, clock, prefix)

    yield make
    await delete_prefix(clients[0] if clients else Redis.from_url(REDIS_URL), prefix)
    for client in clients:
        await client.aclose()


@pytest.fixture
def store(lock_stores: Callable[[], LockStore]) -> LockStore:
    return lock_stores()
