"""The labeling API suite runs in both shapes: in-process lock store and bus, and Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import anyio
import pytest
from redis.asyncio import Redis

from backlot.core.settings import Settings
from tests.conftest import REDIS_URL, needs_redis
from tests.contract.conftest import delete_prefix


@pytest.fixture(params=["memory", pytest.param("redis", marks=needs_redis)])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Iterator[Settings]:
    if request.param == "memory":
        yield settings
        return
    assert REDIS_URL is not None
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    settings.redis_url = REDIS_URL
    settings.redis_prefix = prefix
    yield settings

    async def cleanup() -> None:
        redis = Redis.from_url(REDIS_URL)
        await delete_prefix(redis, prefix)
        await redis.aclose()

    anyio.run(cleanup)
