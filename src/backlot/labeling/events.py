"""Announcing lock changes: one publish on the project's bus channel, which numbers the
event, keeps it for replay and carries it to every process; each process emits it to the
project's Socket.IO room (labeling/realtime.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backlot.core.bus import EventBus
from backlot.core.locks import Lock
from backlot.labeling.schemas import ReleaseReason


def project_channel(project_id: int | str) -> str:
    return f"labeling.project.{project_id}"


@dataclass(frozen=True)
class LockChange:
    lock: Lock
    reason: ReleaseReason | None  # None: acquired
    actor_id: int | None
    note: str | None = None  # an admin's reason for forcing: audit only, not announced

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

    async def announce(self, changes: list[LockChange]) -> None:
        """In order; the changes of one project go out in one step (a lock taken with
        `switch` is two: the release, then the acquire)."""
        start = 0
        while start < len(changes):
            scope = changes[start].lock.scope
            end = start + 1
            while end < len(changes) and changes[end].lock.scope == scope:
                end += 1
            await self._bus.publish_many(
                project_channel(scope), [(c.event, c.payload()) for c in changes[start:end]]
            )
            start = end
