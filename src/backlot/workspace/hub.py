"""Fan-out inside one process: one bus subscription per room with local sockets, each
event encoded once and queued to every socket of the room.

Every socket has its own queue and writer, so a slow reader delays nobody: when too many
events wait for it, it is dropped (close 1013) and reconnects with `since`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from backlot.core.bus import EventBus
from backlot.workspace.protocol import encode

log = logging.getLogger("backlot.workspace")


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


@dataclass
class _Room:
    outboxes: set[Outbox] = field(default_factory=set)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class RoomHub:
    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._rooms: dict[str, _Room] = {}
        self._guard = asyncio.Lock()

    async def join(self, room_id: str, outbox: Outbox) -> None:
        """From when this returns, every event of the room reaches `outbox`."""
        async with self._guard:
            room = self._rooms.get(room_id)
            if room is None:
                room = self._rooms[room_id] = _Room()
                room.task = asyncio.create_task(
                    self._forward(room_id, room), name=f"workspace-room-{room_id}"
                )
            room.outboxes.add(outbox)
        ready = asyncio.ensure_future(room.ready.wait())
        assert room.task is not None
        await asyncio.wait({ready, room.task}, return_when=asyncio.FIRST_COMPLETED)
        if not room.ready.is_set():
            ready.cancel()
            await self.leave(room_id, outbox)
            raise RuntimeError("the room's event subscription failed")

    async def leave(self, room_id: str, outbox: Outbox) -> None:
        async with self._guard:
            room = self._rooms.get(room_id)
            if room is None:
                return
            room.outboxes.discard(outbox)
            if room.outboxes:
                return
            del self._rooms[room_id]
        if room.task is not None:
            room.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await room.task

    async def _forward(self, room_id: str, room: _Room) -> None:
        try:
            async with self._bus.subscribe(room_channel(room_id)) as subscription:
                room.ready.set()
                async for event in subscription:
                    frame = encode(event.type, {**event.data, "seq": event.seq})
                    for outbox in list(room.outboxes):
                        outbox.offer(event.seq, frame)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("workspace room %s lost its event subscription", room_id)
            for outbox in list(room.outboxes):
                outbox.drop()  # its sockets reconnect and resume with `since`
            raise

    async def close(self) -> None:
        for room_id in list(self._rooms):
            room = self._rooms.pop(room_id)
            if room.task is not None:
                room.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await room.task
