"""The end of a user's sessions, announced to every process.

Accounts publishes `session_ended` when a user logs out everywhere, changes or resets
their password, changes role or corporation, or is deleted; every process drops its
cached principal of that user, and the socket servers (labeling's Socket.IO, the
workspace WebSocket) disconnect that user's open sockets within seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from backlot.core.bus import EventBus

SESSIONS_CHANNEL = "sessions"
SESSION_ENDED = "session_ended"


@dataclass(frozen=True, slots=True)
class SessionEnd:
    user_id: int
    # logout, password_changed, password_reset, role_changed, deleted, taken_over, ...
    reason: str


async def announce_session_end(bus: EventBus, user_id: int, reason: str) -> None:
    """Tell every process; call it after the commit that ended the sessions."""
    await bus.publish(SESSIONS_CHANNEL, SESSION_ENDED, {"user_id": user_id, "reason": reason})


async def session_ends(bus: EventBus) -> AsyncIterator[SessionEnd]:
    """Session ends announced from now on, by any process, forever (run it in a task)."""
    async with bus.subscribe(SESSIONS_CHANNEL) as subscription:
        async for event in subscription:
            if event.type == SESSION_ENDED and isinstance(event.data.get("user_id"), int):
                yield SessionEnd(event.data["user_id"], str(event.data.get("reason", "")))
