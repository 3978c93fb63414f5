"""The signed-in sockets of this process, by user, so that a session ended anywhere
(logout, password change, role change, deletion; core/sessions.py) closes them here."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from backlot.core.bus import EventBus
from backlot.core.sessions import session_ends

EndSession = Callable[[str], Coroutine[Any, Any, None]]  # called with the reason


class SignedInSockets:
    def __init__(self) -> None:
        self._by_user: dict[int, set[EndSession]] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def add(self, user_id: int, end: EndSession) -> None:
        self._by_user.setdefault(user_id, set()).add(end)

    def discard(self, user_id: int, end: EndSession) -> None:
        ends = self._by_user.get(user_id)
        if ends is not None:
            ends.discard(end)
            if not ends:
                del self._by_user[user_id]

    def end(self, user_id: int, reason: str) -> None:
        # Each socket closes in a task of its own: a slow one must not hold up the rest.
        for end in list(self._by_user.get(user_id, ())):
            task = asyncio.create_task(end(reason), name=f"workspace-session-end-{user_id}")
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def listen(self, bus: EventBus) -> None:
        """Until cancelled: end the sockets of every session end announced anywhere."""
        async for ended in session_ends(bus):
            self.end(ended.user_id, ended.reason)
