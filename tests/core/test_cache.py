"""RowCache: bounded staleness, and dropped at once when this process changes the row."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from backlot.accounts.models import Corporation
from backlot.core import cache as cache_module
from backlot.core.cache import RowCache
from backlot.core.clock import FrozenClock
from backlot.core.db import build_engine, build_sessionmaker, unit_of_work
from backlot.core.errors import ProblemError
from backlot.core.security import TokenSigner


def test_entries_lapse_after_ttl_and_size_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: now[0])
    rows: RowCache[str] = RowCache(Corporation, ttl_seconds=2, max_entries=3)
    rows.put(1, "one")
    now[0] += 1.9
    assert rows.get(1) == "one"
    now[0] += 0.2
    assert rows.get(1) is None
    for key in range(10):
        rows.put(key, str(key))
    assert [rows.get(k) for k in (6, 7, 8, 9)] == [None, "7", "8", "9"]
    off: RowCache[str] = RowCache(Corporation, ttl_seconds=0)
    off.put(1, "one")
    assert off.get(1) is None


async def test_changes_and_deletes_in_this_process_drop_the_entry(database_url: str) -> None:
    engine = build_engine(database_url)
    sessionmaker = build_sessionmaker(engine)
    names: RowCache[str] = RowCache(Corporation, ttl_seconds=60)
    try:
        async with unit_of_work(sessionmaker) as session:
            corporation = Corporation(name="Before")
            session.add(corporation)
            await session.flush()
            key = corporation.id
        names.put(key, "Before")
        async with unit_of_work(sessionmaker) as session:
            loaded = await session.get(Corporation, key)
            assert loaded is not None
            loaded.name = "After"
        assert names.get(key) is None
        names.put(key, "After")
        async with unit_of_work(sessionmaker) as session:
            loaded = await session.get(Corporation, key)
            await session.delete(loaded)
        assert names.get(key) is None
    finally:
        await engine.dispose()


def test_a_cached_token_still_expires() -> None:
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    signer = TokenSigner("s" * 40, "backlot", clock)
    token = signer.issue("1", "access", timedelta(minutes=5))
    assert signer.verify(token, "access").subject == "1"
    assert signer.verify(token, "access").subject == "1"  # served from the cache
    with pytest.raises(ProblemError) as wrong_audience:
        signer.verify(token, "refresh")
    assert wrong_audience.value.code == "invalid_token"
    clock.advance(timedelta(minutes=5))
    with pytest.raises(ProblemError) as expired:
        signer.verify(token, "access")
    assert expired.value.code == "token_expired"


async def test_refresh_soon_rereads_due_keys_together_in_the_background(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cache_module, "REFRESH_GATHER_SECONDS", 0)
    rows: RowCache[str] = RowCache(Corporation, ttl_seconds=2)
    for key in (1, 2, 3):
        rows.put(key, f"old {key}")
    loads: list[list[int]] = []

    async def load(keys: list[int]) -> dict[int, str]:
        loads.append(sorted(keys))
        return {key: f"new {key}" for key in keys if key != 3}  # 3's row is gone

    rows.refresh_soon(1, load)  # fresh: nothing to do
    assert rows._refresher is None
    await asyncio.sleep(1.1)  # past half the TTL
    for key in (1, 2, 3, 1):
        rows.refresh_soon(key, load)
    assert rows.get(1) == "old 1"  # still served while the re-read runs
    assert rows._refresher is not None
    await asyncio.wait_for(rows._refresher, 5)
    assert loads == [[1, 2, 3]]  # one read for all that came due
    assert [rows.get(k) for k in (1, 2, 3)] == ["new 1", "new 2", None]
    await asyncio.sleep(1.1)  # the re-read started a new TTL
    assert rows.get(1) == "new 1"


async def test_a_drop_during_a_refresh_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "REFRESH_GATHER_SECONDS", 0)
    rows: RowCache[str] = RowCache(Corporation, ttl_seconds=2)
    rows.put(1, "before")
    await asyncio.sleep(1.1)
    reading, release = asyncio.Event(), asyncio.Event()

    async def load(keys: list[int]) -> dict[int, str]:
        reading.set()
        await release.wait()
        return {1: "read before the drop"}

    rows.refresh_soon(1, load)
    await asyncio.wait_for(reading.wait(), 5)
    rows.drop(1)  # e.g. the user's sessions ended meanwhile
    release.set()
    assert rows._refresher is not None
    await asyncio.wait_for(rows._refresher, 5)
    assert rows.get(1) is None  # the next reader reads the row itself

    async def failing(keys: list[int]) -> dict[int, str]:
        raise OSError("database away")

    rows.put(2, "kept")
    await asyncio.sleep(1.1)
    rows.refresh_soon(2, failing)
    assert rows._refresher is not None
    await asyncio.wait_for(rows._refresher, 5)
    assert rows.get(2) == "kept"  # a failed re-read leaves the entry to lapse by its TTL
