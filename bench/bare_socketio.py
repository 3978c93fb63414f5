"""The fan-out baseline of bench/locks.py: a bare python-socketio server that puts every
client in one room and, on `POST /emit`, emits the same event Backlot sends on a lock.

    uvicorn bench.bare_socketio:app --port 8002
"""

from __future__ import annotations

import json
from typing import Any

import socketio

sio = socketio.AsyncServer(async_mode="asgi")


@sio.on("connect")
async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
    await sio.enter_room(sid, "project:1")


async def _emit_endpoint(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http" or scope["method"] != "POST":  # e.g. the readiness probe
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await sio.emit("lock_acquired", json.loads(body), room="project:1")
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


app = socketio.ASGIApp(sio, other_asgi_app=_emit_endpoint)
