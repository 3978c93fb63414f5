"""One contract for presence over every lock store backend (in-process and Redis): two
presences on one backend are like two processes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest

from backlot.core.clock import FrozenClock
from backlot.core.locks import LockStore
from backlot.core.presence import Presence

TTL = timedelta(seconds=30)


@pytest.fixture
def presences(lock_stores: Callable[[], LockStore]) -> Callable[[], Presence]:
    return lambda: Presence(lock_stores(), TTL)


async def test_a_connection_is_present_on_every_process_until_it_leaves(
    presences: Callable[[], Presence],
) -> None:
    here, there = presences(), presences()
    assert await here.enter("7", "u1:a", "u1", info={"name": "Ann"})
    assert await there.is_present("7", "u1")
    assert not await there.is_present("7", "u2")
    assert not await there.is_present("8", "u1")
    [entry] = await there.entries("7")
    assert (entry.resource, entry.owner, entry.info) == ("u1:a", "u1", {"name": "Ann"})
    assert await there.leave("7", "u1:a", "u1")
    assert not await here.is_present("7", "u1")
    assert await here.entries("7") == []


async def test_a_member_with_two_connections_stays_until_the_last_leaves(
    presences: Callable[[], Presence],
) -> None:
    presence = presences()
    await presence.enter("7", "u1:a", "u1")
    await presence.enter("7", "u1:b", "u1")
    await presence.leave("7", "u1:a", "u1")
    assert await presence.is_present("7", "u1")
    await presence.leave("7", "u1:b", "u1")
    assert not await presence.is_present("7", "u1")


async def test_the_limit_is_per_member_and_atomic(presences: Callable[[], Presence]) -> None:
    here, there = presences(), presences()
    # Racing from two processes for the last two places: exactly two get in.
    entered = await asyncio.gather(
        *((here if i % 2 else there).enter("room", f"c{i}", "online", limit=2) for i in range(6))
    )
    assert sorted(entered) == [False] * 4 + [True] * 2
    assert await here.enter("room", "other", "someone-else", limit=2)
    # A connection that holds its place renews it whatever the limit.
    seated = next(f"c{i}" for i, ok in enumerate(entered) if ok)
    await there.touch("room", seated, "online")
    assert len(await here.entries("room")) == 3


async def test_entries_lapse_unless_renewed_and_are_swept_once(
    presences: Callable[[], Presence], clock: FrozenClock
) -> None:
    here, there = presences(), presences()
    await here.enter("7", "u1:a", "u1")
    await here.enter("7", "u1:b", "u1")
    await here.enter("7", "u2:a", "u2")
    clock.advance(TTL / 2)
    await there.renew("7", "u1")  # every connection of u1, wherever it entered
    clock.advance(TTL / 2 + timedelta(seconds=1))
    assert await here.is_present("7", "u1")
    assert not await here.is_present("7", "u2")
    swept = await asyncio.gather(here.sweep(), there.sweep())
    assert [entry.resource for entries in swept for entry in entries] == ["u2:a"]
    # Leaving after the sweeper took the entry says so: the sweeper reported it.
    assert not await there.leave("7", "u2:a", "u2")
    assert await there.leave("7", "u1:a", "u1")


async def test_touch_brings_a_lapsed_connection_back(
    presences: Callable[[], Presence], clock: FrozenClock
) -> None:
    presence = presences()
    await presence.enter("7", "c1", "online", info={"nickname": "a"}, limit=1)
    clock.advance(TTL + timedelta(seconds=1))
    await presence.touch("7", "c1", "online", info={"nickname": "b"})
    [entry] = await presence.entries("7")
    assert entry.info == {"nickname": "b"}
