"""The Socket.IO server: in-process fan-out embedded, Redis fan-out scaled."""

from __future__ import annotations

import socketio

from backlot.settings import Settings


def build_socketio(settings: Settings) -> socketio.AsyncServer:
    manager = None
    if settings.redis_url is not None:
        # Emits from any process reach sockets on every process (at-most-once: clients
        # resync through sequence numbers when a node's subscription was down).
        manager = socketio.AsyncRedisManager(
            settings.redis_url, channel=f"{settings.redis_prefix}backlot-socketio"
        )
    return socketio.AsyncServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=settings.cors_origins or None,  # None: same origin only
        ping_interval=settings.socket_ping_interval_seconds,
        ping_timeout=settings.socket_ping_timeout_seconds,
        max_http_buffer_size=64 * 1024,
    )
