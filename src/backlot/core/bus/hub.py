"""Fan-out inside one process: one bus subscription per channel that has listeners here
(a socket, a room's outbox), shared by all of them.

This is the last leg of the one cross-process path: a process hears only the channels its
own listeners are on, and hands each event once to `deliver` with the channel's listeners
(which encodes it once, however many sockets wait for it). Like the bus, it is
at-most-once: listeners notice a gap by `seq`, and when a subscription breaks, `lost` tells
its listeners to resynchronise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from backlot.core.bus.base import Event, EventBus

log = logging.getLogger("backlot.bus")

L = TypeVar("L")


@dataclass
class _Channel(Generic[L]):
    listeners: set[L] = field(default_factory=set)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class ChannelHub(Generic[L]):
    def __init__(
        self,
        bus: EventBus,
        deliver: Callable[[Event, frozenset[L]], Awaitable[None]],
        lost: Callable[[frozenset[L]], None],
    ) -> None:
        self._bus = bus
        self._deliver = deliver
        self._lost = lost
        self._channels: dict[str, _Channel[L]] = {}
        self._guard = asyncio.Lock()

    def channels(self) -> dict[str, int]:
        """The channels this process is subscribed to, with their listener counts."""
        return {name: len(joined.listeners) for name, joined in self._channels.items()}

    async def join(self, channel: str, listener: L) -> None:
        """From when this returns, every event of the channel reaches `listener`."""
        async with self._guard:
            joined = self._channels.get(channel)
            if joined is None:
                joined = self._channels[channel] = _Channel()
                joined.task = asyncio.create_task(
                    self._forward(channel, joined), name=f"bus-hub-{channel}"
                )
            joined.listeners.add(listener)
        ready = asyncio.ensure_future(joined.ready.wait())
        assert joined.task is not None
        await asyncio.wait({ready, joined.task}, return_when=asyncio.FIRST_COMPLETED)
        if not joined.ready.is_set():
            ready.cancel()
            await self.leave(channel, listener)
            raise RuntimeError(f"the subscription to {channel} failed")

    async def leave(self, channel: str, listener: L) -> None:
        async with self._guard:
            joined = self._channels.get(channel)
            if joined is None:
                return
            joined.listeners.discard(listener)
            if joined.listeners:
                return
            del self._channels[channel]
        await self._stop(joined)

    async def _forward(self, channel: str, joined: _Channel[L]) -> None:
        try:
            async with self._bus.subscribe(channel) as subscription:
                joined.ready.set()
                async for event in subscription:
                    try:
                        await self._deliver(event, frozenset(joined.listeners))
                    except Exception:  # one event lost: listeners see the gap by `seq`
                        log.exception("delivering event %d of %s failed", event.seq, channel)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("lost the subscription to %s", channel)
            self._lost(frozenset(joined.listeners))
            raise

    @staticmethod
    async def _stop(joined: _Channel[L]) -> None:
        if joined.task is not None:
            joined.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await joined.task

    async def close(self) -> None:
        for channel in list(self._channels):
            await self._stop(self._channels.pop(channel))
