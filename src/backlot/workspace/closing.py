"""The sockets of this process by room, so that a room deleted on any process closes its
sockets here, each told why."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from backlot.core.bus import EventBus

ROOMS_CHANNEL = "workspace.rooms"
ROOM_DELETED = "ROOM_DELETED"

CloseRoom = Callable[[str], Coroutine[Any, Any, None]]  # called with the reason


class RoomSockets:
    def __init__(self) -> None:
        self._by_room: dict[str, set[CloseRoom]] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def add(self, room_id: str, close: CloseRoom) -> None:
        self._by_room.setdefault(room_id, set()).add(close)

    def discard(self, room_id: str, close: CloseRoom) -> None:
        closes = self._by_room.get(room_id)
        if closes is not None:
            closes.discard(close)
            if not closes:
                del self._by_room[room_id]

    def close(self, room_id: str, reason: str) -> None:
        for close in list(self._by_room.get(room_id, ())):
            task = asyncio.create_task(close(reason), name=f"workspace-room-close-{room_id}")
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def listen(self, bus: EventBus) -> None:
        """Until cancelled: close the sockets of every room deleted anywhere."""
        async with bus.subscribe(ROOMS_CHANNEL) as subscription:
            async for event in subscription:
                room_id = event.data.get("room_id")
                if event.type == ROOM_DELETED and isinstance(room_id, str):
                    self.close(room_id, str(event.data.get("reason", "")))


async def announce_deleted(bus: EventBus, room_id: str, reason: str) -> None:
    await bus.publish(ROOMS_CHANNEL, ROOM_DELETED, {"room_id": room_id, "reason": reason})
