"""The fan-out baseline of bench/workspace.py: a bare `websockets` server with one room.
A COMMIT from any client is numbered and broadcast to every client as COMMIT_APPLY, the
frame built once, as Backlot does; nothing else (no lock, no database, no bus).

    python -m bench.bare_ws PORT
"""

from __future__ import annotations

import asyncio
import json
import sys

from websockets.asyncio.server import ServerConnection, broadcast, serve

clients: set[ServerConnection] = set()
version = 0


async def handle(ws: ServerConnection) -> None:
    global version
    clients.add(ws)
    try:
        await ws.send(json.dumps({"t": "INIT_STATE", "payload": {"version": version}}))
        async for raw in ws:
            message = json.loads(raw)
            if message.get("t") != "COMMIT":
                continue
            version += 1
            payload = message["payload"]
            frame = json.dumps(
                {
                    "t": "COMMIT_APPLY",
                    "payload": {
                        "blockId": payload["blockId"],
                        "events": payload["events"],
                        "by": "bare",
                        "version": version,
                        "seq": version,
                    },
                },
                separators=(",", ":"),
            )
            broadcast(clients, frame)
    finally:
        clients.discard(ws)


async def healthz(connection: ServerConnection, request: object) -> object:
    # Answers plain HTTP probes (tests.helpers.running_process polls /healthz).
    if getattr(request, "path", "") == "/healthz":
        return connection.respond(200, "ok\n")
    return None


async def main(port: int) -> None:
    async with serve(handle, "127.0.0.1", port, process_request=healthz, max_size=None):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
