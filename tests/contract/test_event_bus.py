"""One contract, every event bus backend (in-process and Redis)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from backlot.core.bus import Event, EventBus, build_bus
from tests.conftest import REDIS_URL
from tests.contract.conftest import BACKENDS, delete_prefix


@pytest.fixture(params=BACKENDS)
async def buses(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], EventBus]]:
    """A factory of buses sharing one backend: two buses are like two processes."""
    made: list[EventBus] = []
    if request.param == "memory":
        shared = build_bus(None, window=10)
        yield lambda: shared
        await shared.close()
        return
    assert REDIS_URL is not None
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    clients: list[Redis] = []

    def make() -> EventBus:
        client = Redis.from_url(REDIS_URL)
        clients.append(client)
        bus = build_bus(client, prefix, window=10)
        made.append(bus)
        return bus

    yield make
    for bus in made:
        await bus.close()
    if clients:
        await delete_prefix(clients[0], prefix)
    for client in clients:
        await client.aclose()


async def _take(subscription: object, count: int) -> list[Event]:
    events: list[Event] = []

    async def collect() -> None:
        async for event in subscription:  # type: ignore[attr-defined]
            events.append(event)
            if len(events) == count:
                return

    await asyncio.wait_for(collect(), timeout=5)
    return events


async def test_subscribers_on_other_processes_get_events_in_order(
    buses: Callable[[], EventBus],
) -> None:
    publisher, listener_a, listener_b = buses(), buses(), buses()
    async with listener_a.subscribe("room.1") as a, listener_b.subscribe("room.1") as b:
        for index in range(5):
            await publisher.publish("room.1", "tick", {"n": index})
        await publisher.publish("room.2", "other", {})
        got_a, got_b = await _take(a, 5), await _take(b, 5)
    assert [(e.seq, e.type, e.data["n"]) for e in got_a] == [(i + 1, "tick", i) for i in range(5)]
    assert got_b == got_a


async def test_sequence_numbers_are_per_channel(buses: Callable[[], EventBus]) -> None:
    bus = buses()
    assert (await bus.publish("c1", "x", {})).seq == 1
    assert (await bus.publish("c1", "x", {})).seq == 2
    assert (await bus.publish("c2", "x", {})).seq == 1
    assert await bus.last_seq("c1") == 2
    assert await bus.last_seq("never") == 0


async def test_since_replays_what_was_missed(buses: Callable[[], EventBus]) -> None:
    publisher, late = buses(), buses()
    for index in range(6):
        await publisher.publish("c", "e", {"i": index})
    missed = await late.since("c", 3)
    assert missed is not None
    assert [(e.seq, e.data["i"]) for e in missed] == [(4, 3), (5, 4), (6, 5)]
    assert await late.since("c", 6) == []


async def test_since_reports_a_gap_beyond_the_window(buses: Callable[[], EventBus]) -> None:
    bus = buses()
    for index in range(40):  # window is 10
        await bus.publish("c", "e", {"i": index})
    assert await bus.since("c", 1) is None
    recent = await bus.since("c", 35)
    assert recent is not None
    assert [e.seq for e in recent] == [36, 37, 38, 39, 40]
    assert await bus.since("c", 99) is None  # ahead of the channel: numbering restarted


async def test_concurrent_publishers_get_distinct_consecutive_seqs(
    buses: Callable[[], EventBus],
) -> None:
    pubs = [buses(), buses()]
    events = await asyncio.gather(*(pubs[i % 2].publish("c", "e", {"i": i}) for i in range(40)))
    assert sorted(e.seq for e in events) == list(range(1, 41))


async def test_unsubscribed_listener_stops_receiving(buses: Callable[[], EventBus]) -> None:
    publisher, listener = buses(), buses()
    async with listener.subscribe("c") as first:
        await publisher.publish("c", "one", {})
        assert [e.type for e in await _take(first, 1)] == ["one"]
    async with listener.subscribe("c") as second:
        await publisher.publish("c", "two", {})
        assert [e.type for e in await _take(second, 1)] == ["two"]


@pytest.mark.parametrize("channel", ["", "with space", "a{b}", "x" * 300])
async def test_bad_channels_are_refused(buses: Callable[[], EventBus], channel: str) -> None:
    with pytest.raises(ValueError, match="channel"):
        await buses().publish(channel, "e", {})


async def test_publish_many_numbers_in_order_in_one_step(buses: Callable[[], EventBus]) -> None:
    publisher, listener = buses(), buses()
    async with listener.subscribe("c") as live:
        await publisher.publish("c", "first", {"i": 0})
        events = await publisher.publish_many(
            "c", [("released", {"i": 1}), ("acquired", {"i": 2, "name": "Zoë"})]
        )
        await publisher.publish("c", "last", {"i": 3})
        got = await _take(live, 4)
    assert [(e.seq, e.type) for e in events] == [(2, "released"), (3, "acquired")]
    assert [(e.seq, e.type, e.data["i"]) for e in got] == [
        (1, "first", 0),
        (2, "released", 1),
        (3, "acquired", 2),
        (4, "last", 3),
    ]
    assert got[2].data["name"] == "Zoë"
    replay = await listener.since("c", 1)
    assert replay is not None
    assert [(e.seq, e.type, e.data) for e in replay] == [(e.seq, e.type, e.data) for e in got[1:]]
    assert await publisher.publish_many("c", []) == []
    assert await listener.last_seq("c") == 4


async def test_concurrent_batches_stay_whole(buses: Callable[[], EventBus]) -> None:
    pubs = [buses(), buses()]
    batches = await asyncio.gather(
        *(pubs[i % 2].publish_many("c", [("a", {"i": i}), ("b", {"i": i})]) for i in range(20))
    )
    for batch in batches:
        assert batch[1].seq == batch[0].seq + 1  # nothing in between
    assert sorted(e.seq for batch in batches for e in batch) == list(range(1, 41))
