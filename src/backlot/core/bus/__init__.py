"""Event bus port and its backends; `build_bus` picks one from the service's Redis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backlot.core.bus.base import Event, EventBus, Subscription

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["Event", "EventBus", "Subscription", "build_bus"]


def build_bus(redis: Redis | None, prefix: str = "", window: int = 1000) -> EventBus:
    match redis:
        case None:
            from backlot.core.bus.memory import MemoryEventBus

            return MemoryEventBus(window)
        case _:
            from backlot.core.bus.redis import RedisEventBus

            return RedisEventBus(redis, prefix, window)
