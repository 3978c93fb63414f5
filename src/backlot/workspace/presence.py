"""Who is in a room, shared by every process: two presences (core/presence.py) of the
room's sockets, by client id.

The seats are all held by the room's one `online` member, so that member's limit is the
room's `max_users`. Entries of a process that died lapse and the sweeper announces those
users as gone. The second presence holds the same sockets by who connected (a client
address for anonymous visitors, the user when signed in), so one client cannot take every
seat of a room.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from backlot.core.locks import Lock
from backlot.core.presence import Presence

ONLINE = "online"

# Distinct on light and dark backgrounds; a joiner gets the one least used in the room.
COLORS = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#46a4a6",
    "#f032e6",
    "#9a6324",
    "#808000",
    "#000075",
)


class Seating(StrEnum):
    seated = "seated"
    room_full = "room_full"
    too_many_seats = "too_many_seats"  # this client holds its share of the room already


class RoomPresence:
    def __init__(self, seats: Presence, holders: Presence) -> None:
        self.seats, self.holders = seats, holders
        self.ttl = seats.ttl

    async def enter(
        self,
        room_id: str,
        client_id: str,
        *,
        info: dict[str, Any],
        max_users: int,
        holder: str,
        max_per_holder: int,
    ) -> Seating:
        """Take a seat for `holder` (who connects), within both limits."""
        if not await self.holders.enter(room_id, client_id, holder, limit=max_per_holder):
            return Seating.too_many_seats
        if not await self.seats.enter(room_id, client_id, ONLINE, info=info, limit=max_users):
            await self.holders.leave(room_id, client_id, holder)
            return Seating.room_full
        return Seating.seated

    async def touch(self, room_id: str, client_id: str, info: dict[str, Any], holder: str) -> None:
        await self.seats.touch(room_id, client_id, ONLINE, info=info)
        await self.holders.touch(room_id, client_id, holder)

    async def leave(self, room_id: str, client_id: str, holder: str) -> bool:
        """Give the seat up; False when the sweeper took it (and announced it) first."""
        await self.holders.leave(room_id, client_id, holder)
        return await self.seats.leave(room_id, client_id, ONLINE)

    def user(self, entry: Lock) -> dict[str, Any]:
        return {
            "clientId": entry.resource,
            "nickname": entry.info.get("nickname", ""),
            "color": entry.info.get("color", COLORS[0]),
            "lastSeen": int((entry.expires_at - self.ttl).timestamp() * 1000),
        }

    async def users(self, room_id: str) -> list[dict[str, Any]]:
        return [self.user(entry) for entry in await self.seats.entries(room_id)]

    async def count(self, room_id: str) -> int:
        """Seats taken in the room now."""
        return len(await self.seats.entries(room_id))

    @staticmethod
    def color_for(users: list[dict[str, Any]]) -> str:
        used = [user["color"] for user in users]
        return min(COLORS, key=lambda color: (used.count(color), COLORS.index(color)))

    async def sweep(self) -> list[Lock]:
        await self.holders.sweep()  # lapsed with their seats; nothing to announce
        return await self.seats.sweep()

    async def close(self) -> None:
        await self.seats.close()
        await self.holders.close()
