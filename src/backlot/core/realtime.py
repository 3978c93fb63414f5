"""The Socket.IO server. Its client manager is the in-process one in both shapes: the
apps' events reach other processes over the event bus (core/bus), and each process emits
them to its own sockets from a bus subscription (core/bus/hub.py), so one publish carries
an event to every process."""

from __future__ import annotations

import socketio


def build_socketio(
    *, cors_origins: list[str], ping_interval: float, ping_timeout: float
) -> socketio.AsyncServer:
    return socketio.AsyncServer(
        async_mode="asgi",
        cors_allowed_origins=cors_origins or None,  # None: same origin only
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
        max_http_buffer_size=64 * 1024,
    )
