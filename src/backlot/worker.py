"""The composition root of `backlot worker`: consumes the dubbing queue in the scaled
shape (Redis), beside the API processes that only enqueue."""

from __future__ import annotations

import asyncio
import logging
import signal

from backlot.app import build_state, closing
from backlot.core.background import shut_down
from backlot.core.clock import SystemClock
from backlot.core.settings import Settings
from backlot.dubbing.runtime import DubbingRuntime

log = logging.getLogger("backlot.worker")


async def run_worker(settings: Settings) -> None:
    state = await build_state(settings, SystemClock())
    dubbing = DubbingRuntime(state, consume=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await dubbing.jobs.warm_up()  # the analysis processes import their stack now
        await dubbing.start()
        log.info("backlot worker consuming %s", settings.redis_prefix + "dubbing-jobs")
        await stop.wait()
    finally:
        log.info("backlot worker stopping")
        await shut_down(dubbing.stop(), *closing(state))
