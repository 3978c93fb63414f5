"""The Socket.IO server: in-process fan-out embedded, Redis fan-out scaled."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import socketio

from backlot.core.settings import Settings


def socketio_channel(settings: Settings) -> str:
    """The pub/sub channel of the Socket.IO fan-out.

    Redis pub/sub channels belong to the whole server, not to a database number, so the
    default names the database as well as the key prefix: services sharing one Redis on
    different databases (or prefixes) must not hear each other's emits.
    """
    if settings.socketio_channel:
        return settings.socketio_channel
    return f"{settings.redis_prefix}backlot-socketio:db{redis_database(settings.redis_url or '')}"


def redis_database(url: str) -> str:
    """The database number of a Redis URL: `?db=N`, else the last path segment
    (`redis://host/3`, `redis+sentinel://host/service/3`), else 0."""
    parts = urlsplit(url)
    from_query = parse_qs(parts.query).get("db")
    if from_query:
        return from_query[0]
    last = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return last if last.isdigit() else "0"


def build_socketio(settings: Settings) -> socketio.AsyncServer:
    manager = None
    if settings.redis_url is not None:
        # Emits from any process reach sockets on every process (at-most-once: clients
        # resync through sequence numbers when a node's subscription was down).
        manager = socketio.AsyncRedisManager(settings.redis_url, channel=socketio_channel(settings))
    return socketio.AsyncServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=settings.cors_origins or None,  # None: same origin only
        ping_interval=settings.socket_ping_interval_seconds,
        ping_timeout=settings.socket_ping_timeout_seconds,
        max_http_buffer_size=64 * 1024,
    )
