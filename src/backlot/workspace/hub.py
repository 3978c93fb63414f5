"""Fan-out to the workspace sockets of one process: the core hub's one bus subscription
per room with local sockets, each event encoded once and queued to every socket of the room.

Every socket has its own queue and writer, so a slow reader delays nobody: when too many
events wait for it, it is dropped (close 1013) and reconnects with `since`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from backlot.core.bus import Event, EventBus
from backlot.core.bus.hub import ChannelHub
from backlot.workspace.protocol import encode


def room_channel(room_id: str) -> str:
    return f"workspace.room.{room_id}"


class Outbox:
    """What one socket is still to be sent, in order; its writer drains `queue`.

    Until `open`, room events are held back (the socket's state is being read); then the
    state goes first and only events newer than it follow.
    """

    def __init__(self, limit: int, on_drop: Callable[[], None]) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self._limit = limit  # live events waiting; replies and the state always go in
        self._floor = 0
        self._held: list[tuple[int, str]] | None = []
        self._on_drop = on_drop
        self.dropped = False

    def offer(self, seq: int, frame: str) -> None:
        if self._held is not None:
            self._held.append((seq, frame))
        elif seq <= self._floor or self.dropped:
            return
        elif self.queue.qsize() >= self._limit:
            self.drop()
        else:
            self.queue.put_nowait(frame)

    def open(self, floor: int, first: list[str]) -> None:
        """Start delivering: `first` (the state as of event `floor`), then newer events."""
        for frame in first:
            self.queue.put_nowait(frame)
        self._floor = floor
        held, self._held = self._held or [], None
        for seq, frame in held:
            self.offer(seq, frame)

    def reply(self, frame: str) -> None:
        self.queue.put_nowait(frame)

    def drop(self) -> None:
        if not self.dropped:
            self.dropped = True
            self._on_drop()


def room_hub(bus: EventBus) -> ChannelHub[Outbox]:
    """The process's room subscriptions: each event encoded once, offered to every
    socket of the room; when a subscription breaks, its sockets are dropped and resume
    with `since`."""

    async def deliver(event: Event, outboxes: frozenset[Outbox]) -> None:
        frame = encode(event.type, {**event.data, "seq": event.seq})
        for outbox in outboxes:
            outbox.offer(event.seq, frame)

    def lost(outboxes: frozenset[Outbox]) -> None:
        for outbox in outboxes:
            outbox.drop()

    return ChannelHub(bus, deliver, lost)
