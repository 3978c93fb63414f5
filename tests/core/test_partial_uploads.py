"""A crash mid-upload leaves a partial file in <objects>/tmp: the app sweeps old ones at
start and then periodically; a put still being written is left alone."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio

from backlot.app import create_app
from backlot.core.clock import FrozenClock
from backlot.core.settings import Settings
from backlot.core.storage.local import LocalObjectStore

HOUR = 3600


def _partial(tmp: Path, name: str, age_seconds: float) -> Path:
    path = tmp / name
    path.write_bytes(b"half an upload")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


async def test_the_app_sweeps_stale_partial_uploads_at_start(
    settings: Settings, clock: FrozenClock
) -> None:
    tmp = settings.var_dir / "objects" / "tmp"
    tmp.mkdir(parents=True)
    stale = _partial(tmp, "a" * 32, age_seconds=2 * HOUR)
    stale_meta = _partial(tmp, "b" * 32 + ".json", age_seconds=2 * HOUR)
    fresh = _partial(tmp, "c" * 32, age_seconds=60)
    app = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        assert not stale.exists() and not stale_meta.exists()
        assert fresh.exists()  # could be a put still being written


async def test_the_sweep_repeats(settings: Settings, clock: FrozenClock) -> None:
    settings.upload_temp_sweep_interval_seconds = 0.05
    tmp = settings.var_dir / "objects" / "tmp"
    app = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        # Left by a crash after start-up (the file's clock is the real one; the app's
        # clock is frozen at about now).
        stale = _partial(tmp, "d" * 32, age_seconds=2 * HOUR)
        for _ in range(600):  # polls until a round has run (bounded, not a speed claim)
            if not stale.exists():
                break
            await anyio.sleep(0.05)
        assert not stale.exists()


async def test_a_put_in_progress_survives_a_sweep(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    written = anyio.Event()
    resume = anyio.Event()

    async def chunks() -> AsyncIterator[bytes]:
        yield b"first part "
        written.set()
        await resume.wait()
        yield b"second part"

    async with anyio.create_task_group() as group:
        group.start_soon(lambda: store.put("k/one", chunks()))
        await written.wait()
        removed = await store.sweep_partial_uploads(timedelta(seconds=HOUR), datetime.now(UTC))
        assert removed == 0
        resume.set()
    reader = await store.open("k/one")
    assert b"".join([chunk async for chunk in reader]) == b"first part second part"
