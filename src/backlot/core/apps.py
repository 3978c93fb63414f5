"""The one shape every app has.

An app (accounts, labeling, workspace, videos, dubbing) is an `AppModule`: its routers,
known when the ASGI app is assembled, and a factory for its `AppRuntime`, built in the
lifespan from the shared `AppState`. The runtime owns whatever the app keeps running in a
process (sweepers, socket handlers, presence, queues), starts and stops it, and names the
scheduled jobs that must run once per tick across all processes. `app.py` is a loop over
the modules; routes reach their app's runtime through `AppState.runtimes`, by type.

Upload routes declare their body limit on the endpoint (`upload_limit`), so the limit
follows the route wherever it moves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import socketio
from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from backlot.core.scheduling import Job
from backlot.core.settings import Settings
from backlot.core.state import AppState

F = TypeVar("F", bound=Callable[..., Any])

# Multipart framing around an uploaded file: boundaries, part headers, small fields.
MULTIPART_OVERHEAD = 64 * 1024

_UPLOAD_LIMIT = "__backlot_upload_limit__"


@dataclass(frozen=True)
class ScheduledJob:
    """A job that runs once per `every_seconds` tick however many processes run."""

    name: str
    every_seconds: float
    run: Job


class AppRuntime(Protocol):
    """What an app keeps running in one process."""

    def scheduled_jobs(self) -> Sequence[ScheduledJob]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class AppHost:
    """What the composition root lends every runtime: the shared state and the one
    Socket.IO server (an app that has no Socket.IO events ignores it)."""

    state: AppState
    sio: socketio.AsyncServer


@dataclass(frozen=True)
class AppModule:
    name: str
    routers: Sequence[APIRouter]
    build: Callable[[AppHost], AppRuntime]


def upload_limit(file_bytes: Callable[[Settings], int]) -> Callable[[F], F]:
    """Mark an endpoint as an upload route whose multipart body may be as large as
    `file_bytes(settings)` plus the multipart framing."""

    def mark(endpoint: F) -> F:
        setattr(endpoint, _UPLOAD_LIMIT, file_bytes)
        return endpoint

    return mark


def upload_limits(
    routes: Iterable[BaseRoute], settings: Settings
) -> list[tuple[re.Pattern[str], int]]:
    """The body limits of the marked upload routes, by their path patterns."""
    limits = []
    for route in routes:
        file_bytes = getattr(getattr(route, "endpoint", None), _UPLOAD_LIMIT, None)
        if isinstance(route, APIRoute) and file_bytes is not None:
            limits.append((route.path_regex, file_bytes(settings) + MULTIPART_OVERHEAD))
    return limits
