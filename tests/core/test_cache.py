"""RowCache: bounded staleness, and dropped at once when this process changes the row."""

from __future__ import annotations

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
