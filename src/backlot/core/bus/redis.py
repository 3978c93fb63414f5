"""Redis event bus for the scaled shape: a Lua script numbers each event, appends it to
the channel's stream (the replay window) and publishes it; one pub/sub connection per
process fans it out to local subscribers.

Keys: `<prefix>bus:{channel}` (stream, entry id `0-<seq>`), `<prefix>bus-seq:{channel}`
(counter); pub/sub channel `<prefix>bus:db<N>:{channel}`. Both keys expire after
`retention` of silence. Pub/sub channels belong to the whole Redis server, not to a
database, so theirs name the database too: services sharing one Redis on different
databases (or prefixes) do not hear each other. Pub/sub is at-most-once (a process
whose connection drops misses events); `seq` and `since` are how clients notice and catch
up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any

import orjson

from backlot.core.bus.base import Event, LocalSubscription, check_channel

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub

log = logging.getLogger("backlot.bus")


class RedisEventBus:
    def __init__(
        self,
        redis: Redis,
        prefix: str = "",
        window: int = 1000,
        retention: timedelta = timedelta(days=1),
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        database = redis.connection_pool.connection_kwargs.get("db", 0)
        self._topic_prefix = f"{prefix}bus:db{database}:"
        self._window = window
        self._retention_ms = int(retention.total_seconds() * 1000)
        script = (resources.files("backlot.core.bus") / "publish.lua").read_text()
        self._publish = redis.register_script(script)
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._subscribers: dict[str, set[LocalSubscription]] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self._lock = asyncio.Lock()

    def _key(self, channel: str) -> str:
        return f"{self._prefix}bus:{{{check_channel(channel)}}}"

    def _topic(self, channel: str) -> str:
        """The channel's pub/sub channel."""
        return f"{self._topic_prefix}{{{check_channel(channel)}}}"

    async def publish(self, channel: str, type: str, data: dict[str, Any]) -> Event:
        return (await self.publish_many(channel, [(type, data)]))[0]

    async def publish_many(
        self, channel: str, events: Sequence[tuple[str, dict[str, Any]]]
    ) -> list[Event]:
        if not events:
            return []
        args: list[str | int | bytes] = [self._topic(channel), self._window, self._retention_ms]
        for type, data in events:
            args += [orjson.dumps(type), orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)]
        seqs = await self._publish(
            keys=[self._key(channel), f"{self._prefix}bus-seq:{{{channel}}}"], args=args
        )
        return [
            Event(channel, int(seq), type, data)
            for seq, (type, data) in zip(seqs, events, strict=True)
        ]

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[LocalSubscription]:
        topic = self._topic(channel)
        subscriber = LocalSubscription()
        async with self._lock:
            first = topic not in self._subscribers
            self._subscribers.setdefault(topic, set()).add(subscriber)
            if first:
                await self._listen(topic)
        try:
            yield subscriber
        finally:
            async with self._lock:
                self._subscribers[topic].discard(subscriber)
                if not self._subscribers[topic]:
                    del self._subscribers[topic]
                    if self._pubsub is not None:
                        await self._pubsub.unsubscribe(topic)

    async def _listen(self, topic: str) -> None:
        if self._pubsub is None:
            self._pubsub = self._redis.pubsub()
        confirmed = self._confirmed[topic] = asyncio.Event()
        await self._pubsub.subscribe(topic)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(), name="backlot-bus-reader")
        # Only once Redis confirms is every later PUBLISH guaranteed to reach us.
        await asyncio.wait_for(confirmed.wait(), timeout=10)

    async def _read(self) -> None:
        assert self._pubsub is not None
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:  # connection trouble: redis-py resubscribes on reconnect
                log.warning("bus subscription interrupted; reconnecting", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            topic = message["channel"].decode()
            if message["type"] == "subscribe":
                if topic in self._confirmed:
                    self._confirmed.pop(topic).set()
            elif message["type"] == "message":
                self._deliver(topic, message["data"])

    def _deliver(self, topic: str, raw: bytes) -> None:
        payload = orjson.loads(raw)
        channel = topic[len(self._topic_prefix) + 1 : -1]
        event = Event(channel, int(payload["seq"]), payload["type"], payload["data"])
        for subscriber in self._subscribers.get(topic, ()):
            subscriber.queue.put_nowait(event)

    async def since(self, channel: str, seq: int) -> list[Event] | None:
        key = self._key(channel)
        last = await self.last_seq(channel)
        if seq > last:
            return None  # the channel restarted numbering: the client's state is stale
        if seq == last:
            return []
        oldest: Any = await self._redis.xrange(key, count=1)
        if not oldest or int(bytes(oldest[0][0]).split(b"-")[1]) > seq + 1:
            return None
        entries: Any = await self._redis.xrange(key, min=f"0-{seq + 1}")
        events = []
        for _id, fields in entries:
            payload = orjson.loads(fields[b"p"])
            events.append(Event(channel, int(payload["seq"]), payload["type"], payload["data"]))
        return events

    async def last_seq(self, channel: str) -> int:
        value = await self._redis.get(f"{self._prefix}bus-seq:{{{check_channel(channel)}}}")
        return int(value) if value else 0

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
