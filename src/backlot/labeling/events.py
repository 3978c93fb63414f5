"""Announcing lock changes: numbered on the project's bus channel (for replay), and
emitted to the project's Socket.IO room when a realtime server is attached."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from backlot.core.bus import EventBus
from backlot.core.locks import Lock
from backlot.labeling.schemas import ReleaseReason

# emit(event name, payload, room): python-socketio's AsyncServer.emit, or nothing.
Emit = Callable[..., Awaitable[Any]]


def project_channel(project_id: int | str) -> str:
    return f"labeling.project.{project_id}"


def project_room(project_id: int | str) -> str:
    return f"project:{project_id}"


@dataclass(frozen=True)
class LockChange:
    lock: Lock
    reason: ReleaseReason | None  # None: acquired
    actor_id: int | None

    @property
    def event(self) -> str:
        return "lock_acquired" if self.reason is None else "lock_released"

    def payload(self) -> dict[str, Any]:
        lock = self.lock
        if self.reason is None:
            return {
                "file": lock.resource,
                "user": str(lock.info.get("name", lock.owner)),
                "user_id": int(lock.owner),
                "token": lock.token,
                "expires_at": lock.expires_at.isoformat(),
            }
        return {"file": lock.resource, "reason": self.reason.value, "user_id": int(lock.owner)}


class LabelingEvents:
    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._emit: Emit | None = None

    def attach(self, emit: Emit) -> None:
        self._emit = emit

    async def announce(self, changes: list[LockChange]) -> None:
        for change in changes:
            project_id = change.lock.scope
            event = await self._bus.publish(
                project_channel(project_id), change.event, change.payload()
            )
            if self._emit is not None:
                await self._emit(
                    change.event, {**event.data, "seq": event.seq}, room=project_room(project_id)
                )
