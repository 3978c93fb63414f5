"""The baseline of bench/memory.py: a bare uvicorn app of python-socketio plus a raw
WebSocket endpoint that accepts any socket and holds it (nothing else imported).

    uvicorn bench.bare_sockets:app --port 8003
"""

from __future__ import annotations

from typing import Any

import socketio

sio = socketio.AsyncServer(async_mode="asgi")


async def _hold(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Any WebSocket is accepted and held until it closes; any HTTP request gets `ok`."""
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while (await receive())["type"] != "websocket.disconnect":
            pass
        return
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok\n"})


app = socketio.ASGIApp(sio, other_asgi_app=_hold)
