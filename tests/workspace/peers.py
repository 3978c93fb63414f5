"""A workspace client for the tests: a real `websockets` connection that records every
frame, so a test can wait for the next message of a kind without losing the others."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import websockets
from websockets.asyncio.client import ClientConnection

Match = Callable[[dict[str, Any]], bool]


class Peer:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []  # every message, in arrival order
        self._taken: set[int] = set()
        self._arrived = asyncio.Condition()
        self.closed: tuple[int | None, str] | None = None
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                async with self._arrived:
                    self.frames.append(json.loads(raw))
                    self._arrived.notify_all()
        except websockets.ConnectionClosed:
            pass
        finally:
            rcvd = self.ws.protocol.close_rcvd
            async with self._arrived:
                self.closed = (rcvd.code, rcvd.reason) if rcvd else (None, "")
                self._arrived.notify_all()

    @property
    def init(self) -> dict[str, Any]:
        """The INIT_STATE (after the missed events, when resuming)."""
        return next(f["payload"] for f in self.frames if f["t"] == "INIT_STATE")

    @property
    def client_id(self) -> str:
        return str(self.init["clientId"])

    async def send(self, kind: str, payload: dict[str, Any] | None = None) -> None:
        await self.ws.send(json.dumps({"t": kind, "payload": payload or {}}))

    async def send_raw(self, frame: str | bytes) -> None:
        await self.ws.send(frame)

    async def expect(
        self, kind: str, match: Match | None = None, timeout: float = 5
    ) -> dict[str, Any]:
        """The payload of the first message of `kind` (passing `match`) not taken yet."""

        def find() -> int | None:
            for index, frame in enumerate(self.frames):
                if index in self._taken or frame.get("t") != kind:
                    continue
                if match is None or match(frame["payload"]):
                    return index
            return None

        async def wait() -> dict[str, Any]:
            async with self._arrived:
                while True:
                    index = find()
                    if index is not None:
                        self._taken.add(index)
                        return dict(self.frames[index]["payload"])
                    if self.closed is not None:
                        raise AssertionError(f"closed {self.closed} before a {kind}: {self.kinds}")
                    await self._arrived.wait()

        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"no {kind} within {timeout} s; got {self.kinds}") from None

    async def expect_closed(self, timeout: float = 5) -> tuple[int | None, str]:
        async def wait() -> tuple[int | None, str]:
            async with self._arrived:
                while self.closed is None:
                    await self._arrived.wait()
                return self.closed

        return await asyncio.wait_for(wait(), timeout)

    async def quiet(self, kind: str, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Untaken messages of `kind` that arrive within `seconds`."""
        await asyncio.sleep(seconds)
        return [
            f["payload"]
            for i, f in enumerate(self.frames)
            if i not in self._taken and f.get("t") == kind
        ]

    @property
    def kinds(self) -> list[str]:
        return [str(frame.get("t")) for frame in self.frames]

    async def close(self) -> None:
        await self.ws.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


def socket_url(base: str, room: str, **params: str | int) -> str:
    query = urlencode({k: str(v) for k, v in params.items()})
    return f"{base.replace('http://', 'ws://')}/ws/workspace/{room}/?{query}"


async def connect(base: str, room: str, **params: str | int) -> Peer:
    """Connect and wait for INIT_STATE, or the ERROR of a refusal."""
    ws = await websockets.connect(socket_url(base, room, **params), max_size=None)
    peer = Peer(ws)

    def greeted() -> bool:
        return peer.closed is not None or any(
            f["t"] in ("INIT_STATE", "ERROR") for f in peer.frames
        )

    async with peer._arrived:
        await asyncio.wait_for(peer._arrived.wait_for(greeted), 5)
    return peer


@asynccontextmanager
async def joined(base: str, room: str, nickname: str, **params: str | int) -> AsyncIterator[Peer]:
    peer = await connect(base, room, nickname=nickname, **params)
    assert "INIT_STATE" in peer.kinds, peer.frames
    try:
        yield peer
    finally:
        await peer.close()
