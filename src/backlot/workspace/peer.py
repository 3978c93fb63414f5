"""One seated socket of a room, as its message handlers see it: who it is (its
admission), where it runs, and what the room shows of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from backlot.core.locks import Lock
from backlot.core.settings import Settings
from backlot.core.state import AppState
from backlot.workspace import service
from backlot.workspace.admission import Admission
from backlot.workspace.hub import room_channel
from backlot.workspace.runtime import WorkspaceRuntime
from backlot.workspace.sender import FrameSender


@dataclass
class Peer(Admission):
    runtime: WorkspaceRuntime
    sender: FrameSender
    info: dict[str, Any]  # what the room shows of this socket: nickname and color

    @property
    def state(self) -> AppState:
        return self.runtime.state

    @property
    def channel(self) -> str:
        return room_channel(self.room_id)

    @property
    def settings(self) -> Settings:
        return self.state.settings

    @property
    def lock_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.workspace_lock_ttl_seconds)

    def may_edit(self) -> bool:
        return service.may_edit(self.room, self.requester)

    async def announce_cleared(self, locks: list[Lock], reason: str) -> None:
        await self.runtime.announce_cleared(self.room_id, locks, reason)
