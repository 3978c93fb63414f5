"""Annotated dependencies that hand routes their session, settings, clock and signer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from backlot.core.bus import EventBus
from backlot.core.clock import Clock
from backlot.core.db import unit_of_work
from backlot.core.security import TokenSigner
from backlot.core.settings import Settings
from backlot.core.state import AppState, app_state, runtime_of
from backlot.core.storage import ObjectStore

R = TypeVar("R")


def runtime_dependency(kind: type[R]) -> Callable[[HTTPConnection], Awaitable[R]]:
    """A dependency handing a route (HTTP or WebSocket) its app's runtime."""

    async def runtime(connection: HTTPConnection) -> R:
        return runtime_of(connection, kind)

    return runtime


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with unit_of_work(app_state(request).sessionmaker) as session:
        yield session


async def _settings(request: Request) -> Settings:
    return app_state(request).settings


async def _clock(request: Request) -> Clock:
    return app_state(request).clock


async def _signer(request: Request) -> TokenSigner:
    return app_state(request).signer


async def _bus(request: Request) -> EventBus:
    return app_state(request).bus


async def _storage(request: Request) -> ObjectStore:
    return app_state(request).storage


async def _state(request: Request) -> AppState:
    return app_state(request)


# Every dependency here is `async def`: FastAPI runs plain `def` ones in a worker thread,
# a thread hop per dependency per request.
StateDep = Annotated[AppState, Depends(_state)]
# scope="function": the transaction commits before the response is sent, so a client
# that saw 2xx can rely on the write being durable.
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(_settings)]
ClockDep = Annotated[Clock, Depends(_clock)]
SignerDep = Annotated[TokenSigner, Depends(_signer)]
BusDep = Annotated[EventBus, Depends(_bus)]
StorageDep = Annotated[ObjectStore, Depends(_storage)]
