"""The key-value cache contract, run against the in-process and the Redis backend."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from backlot.core.clock import FrozenClock
from backlot.core.kv import KeyValueCache, build_kv_cache
from tests.conftest import REDIS_URL
from tests.contract.conftest import BACKENDS, delete_prefix


@pytest.fixture(params=BACKENDS)
async def kv(request: pytest.FixtureRequest, clock: FrozenClock) -> AsyncIterator[KeyValueCache]:
    if request.param == "memory":
        yield build_kv_cache(None, clock)
        return
    assert REDIS_URL is not None
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    redis = Redis.from_url(REDIS_URL)
    yield build_kv_cache(redis, clock, prefix)
    await delete_prefix(redis, prefix)
    await redis.aclose()


async def test_set_get_delete(kv: KeyValueCache) -> None:
    assert await kv.get("a") is None
    await kv.set("a", "1")
    await kv.set("b", "ünïcode ✓")
    assert await kv.get("a") == "1"
    assert await kv.get("b") == "ünïcode ✓"
    await kv.set("a", "2")
    assert await kv.get("a") == "2"
    await kv.delete("a")
    await kv.delete("never-there")
    assert await kv.get("a") is None
    assert await kv.get("b") == "ünïcode ✓"


async def test_add_only_fills_an_absent_key(kv: KeyValueCache) -> None:
    assert await kv.add("k", "first") is True
    assert await kv.add("k", "second") is False
    assert await kv.get("k") == "first"
    await kv.set("k", "third")  # a plain set always wins
    assert await kv.get("k") == "third"


async def test_entries_lapse_after_their_ttl(kv: KeyValueCache, clock: FrozenClock) -> None:
    ttl = timedelta(milliseconds=200)
    await kv.set("short", "x", ttl)
    await kv.set("long", "y")
    assert await kv.get("short") == "x"
    clock.advance(ttl * 2)  # the in-process backend reads the clock, Redis its own time
    await asyncio.sleep(0.3)
    assert await kv.get("short") is None
    assert await kv.get("long") == "y"
    assert await kv.add("short", "again", ttl) is True


async def test_pop_takes_a_value_once(kv: KeyValueCache, clock: FrozenClock) -> None:
    assert await kv.pop("never-there") is None
    await kv.set("ticket", "ünïcode ✓", timedelta(minutes=1))
    await kv.set("other", "stays")
    assert await kv.pop("ticket") == "ünïcode ✓"
    assert await kv.get("ticket") is None  # gone with the taking
    assert await kv.pop("ticket") is None
    assert await kv.get("other") == "stays"
    # Many takers at once (join tickets offered to two processes): exactly one wins.
    await kv.set("contested", "prize")
    taken = await asyncio.gather(*(kv.pop("contested") for _ in range(20)))
    assert taken.count("prize") == 1 and taken.count(None) == 19
    # A lapsed value is not there to take.
    ttl = timedelta(milliseconds=200)
    await kv.set("stale", "old", ttl)
    clock.advance(ttl * 2)
    await asyncio.sleep(0.3)
    assert await kv.pop("stale") is None
    assert await kv.add("stale", "new") is True
