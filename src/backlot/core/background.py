"""Loops a process keeps running beside its requests (sweepers, scheduled jobs)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger("backlot.background")


class BackgroundLoops:
    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[None]] = []

    def repeat(
        self, name: str, step: Callable[[], Awaitable[object]], pause: Callable[[], float]
    ) -> None:
        """Run `step`, then sleep `pause()` seconds, until stopped. A failed round is
        logged and the next one tries again: one bad round must not end the loop."""

        async def loop() -> None:
            while True:
                try:
                    await step()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("%s failed; retrying on the next round", name)
                await asyncio.sleep(pause())

        self.tasks.append(asyncio.create_task(loop(), name=name))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()


async def shut_down(*steps: Coroutine[Any, Any, object], step_seconds: float = 2.0) -> None:
    """Run shutdown steps in order, each bounded: a stuck connection must not keep the
    process from exiting, nor one failed step skip the ones after it."""
    for step in steps:
        try:
            await asyncio.wait_for(step, timeout=step_seconds)
        except Exception:  # keep shutting down whatever one step does
            log.warning("a shutdown step did not finish cleanly", exc_info=True)
