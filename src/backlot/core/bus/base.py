"""The event bus port: ordered events on channels, fanned out to every process.

Each channel numbers its events (`seq` 1, 2, 3, ...) and keeps the last `window` of them,
so a client that reconnects can ask for what it missed (`since`), or learn that the gap
is too old and it must reload the whole state.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from backlot.core.hashtag import check_tag


def check_channel(channel: str) -> str:
    return check_tag(channel, "channel name")


@dataclass(frozen=True)
class Event:
    channel: str
    seq: int
    type: str
    data: dict[str, Any]


class Subscription(Protocol):
    def __aiter__(self) -> AsyncIterator[Event]: ...


class LocalSubscription:
    """A subscriber inside this process: the backend puts events, the consumer iterates."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue()

    async def __aiter__(self) -> AsyncIterator[Event]:
        while True:
            yield await self.queue.get()


class EventBus(Protocol):
    async def publish(self, channel: str, type: str, data: dict[str, Any]) -> Event:
        """Number the event, keep it for replay and deliver it to every subscriber."""
        ...

    async def publish_many(
        self, channel: str, events: Sequence[tuple[str, dict[str, Any]]]
    ) -> list[Event]:
        """`publish` each (type, data) of `events` in order, in one step (one round trip
        with Redis); their numbers follow each other."""
        ...

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]:
        """Live events published after the subscription started, in order."""
        ...

    async def since(self, channel: str, seq: int) -> list[Event] | None:
        """Events after `seq`, in order; None when some of them left the window."""
        ...

    async def last_seq(self, channel: str) -> int: ...

    async def close(self) -> None: ...
