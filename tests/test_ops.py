"""Liveness and readiness, including Redis when the settings name one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from backlot.app import create_app
from backlot.core.clock import FrozenClock
from backlot.core.settings import Settings
from tests.conftest import REDIS_URL, needs_redis


async def _client_for(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://t") as http:
            yield http


async def test_healthz_and_readyz(client: AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}


@needs_redis
async def test_readyz_checks_redis(settings: Settings, clock: FrozenClock) -> None:
    settings.redis_url = REDIS_URL
    async for http in _client_for(create_app(settings, clock)):
        ready = await http.get("/readyz")
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}


async def test_readyz_reports_unreachable_redis(settings: Settings, clock: FrozenClock) -> None:
    settings.redis_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    async for http in _client_for(create_app(settings, clock)):
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis"].startswith("error")


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
async def test_ops_need_no_token(client: AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 200
