"""The Socket.IO server. Its client manager is the in-process one in both shapes: the
apps' events reach other processes over the event bus (core/bus), and each process emits
them to its own sockets from a bus subscription (core/bus/hub.py), so one publish carries
an event to every process."""

from __future__ import annotations

import socketio

from backlot.core.settings import Settings


def build_socketio(settings: Settings) -> socketio.AsyncServer:
    return socketio.AsyncServer(
        async_mode="asgi",
        cors_allowed_origins=settings.cors_origins or None,  # None: same origin only
        ping_interval=settings.socket_ping_interval_seconds,
        ping_timeout=settings.socket_ping_timeout_seconds,
        max_http_buffer_size=64 * 1024,
    )
