"""In-process event bus for the embedded shape."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from backlot.core.bus.base import Event, LocalSubscription, check_channel


class MemoryEventBus:
    def __init__(self, window: int = 1000) -> None:
        self._window = window
        self._seq: dict[str, int] = {}
        self._log: dict[str, deque[Event]] = {}
        self._subscribers: dict[str, set[LocalSubscription]] = {}

    async def publish(self, channel: str, type: str, data: dict[str, Any]) -> Event:
        check_channel(channel)
        seq = self._seq.get(channel, 0) + 1
        self._seq[channel] = seq
        event = Event(channel, seq, type, data)
        self._log.setdefault(channel, deque(maxlen=self._window)).append(event)
        for subscriber in self._subscribers.get(channel, ()):
            subscriber.queue.put_nowait(event)
        return event

    async def publish_many(
        self, channel: str, events: Sequence[tuple[str, dict[str, Any]]]
    ) -> list[Event]:
        return [await self.publish(channel, type, data) for type, data in events]

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[LocalSubscription]:
        check_channel(channel)
        subscriber = LocalSubscription()
        self._subscribers.setdefault(channel, set()).add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers[channel].discard(subscriber)
            if not self._subscribers[channel]:
                del self._subscribers[channel]

    async def since(self, channel: str, seq: int) -> list[Event] | None:
        check_channel(channel)
        log = self._log.get(channel, deque())
        last = self._seq.get(channel, 0)
        if seq > last:
            return None  # numbering restarted (e.g. a new process): the client must reload
        if seq == last:
            return []
        if not log or log[0].seq > seq + 1:
            return None
        return [event for event in log if event.seq > seq]

    async def last_seq(self, channel: str) -> int:
        return self._seq.get(check_channel(channel), 0)

    async def close(self) -> None:
        return None
