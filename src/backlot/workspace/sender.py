"""The sending side of one workspace socket: its outbox, the one writer task that drains
it (so replies and room events never interleave mid-frame and a slow client delays
nobody), and how the socket is closed or turned away."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.websockets import WebSocket, WebSocketState

from backlot.workspace.hub import Outbox
from backlot.workspace.protocol import encode
from backlot.workspace.refusals import CLOSE_TRY_LATER, Refused


class FrameSender:
    def __init__(self, websocket: WebSocket, event_window: int) -> None:
        self.ws = websocket
        self.outbox = Outbox(event_window, self._fell_behind)
        self.writer: asyncio.Task[None] | None = None
        self.closing = False
        self._background: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self.writer = asyncio.create_task(self._write(), name="workspace-writer")

    def reply(self, kind: str, payload: dict[str, Any]) -> None:
        self.outbox.reply(encode(kind, payload))

    def error(self, code: str, message: str, **extra: Any) -> None:
        self.reply("ERROR", {"code": code, "message": message, **extra})

    async def _write(self) -> None:
        queue = self.outbox.queue
        while True:
            frame = await queue.get()
            await self.ws.send_text(frame)
            queue.task_done()

    def _fell_behind(self) -> None:
        # Called from the room's forwarder, which must not wait for this socket.
        task = asyncio.create_task(self.close(CLOSE_TRY_LATER, "fell behind; resume with since"))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def stop(self, flush: bool = False) -> None:
        if self.writer is None:
            return
        if flush:
            # What was queued before the close (an ERROR explaining it) still goes out.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.outbox.queue.join(), timeout=1)
        self.writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.writer
        self.writer = None

    async def close(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        await self.stop(flush=code != CLOSE_TRY_LATER)
        if self.ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.ws.close(code, reason[:120])

    async def refuse(self, refused: Refused) -> None:
        """Tell why (an ERROR frame, then the close code and reason), then hang up."""
        with contextlib.suppress(Exception):
            await self.ws.send_text(
                encode("ERROR", {"code": refused.code, "message": refused.message})
            )
            await self.ws.close(refused.close_code, f"{refused.code}: {refused.message}"[:120])
