"""A job's progress as Server-Sent Events: the current state first (or exactly what a
resuming client missed), then each change from the job's channel on the event bus,
until the terminal event; a comment every KEEPALIVE_SECONDS keeps proxies from closing
the stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from backlot.core.db import unit_of_work
from backlot.core.jobs import TERMINAL
from backlot.core.state import AppState
from backlot.dubbing.models import Job
from backlot.dubbing.progress import job_channel, snapshot

KEEPALIVE_SECONDS = 15.0


def event_id(header: str | None) -> int | None:
    """The Last-Event-ID a client resumes after, or None (start afresh) for anything but
    our ids: ASCII digits, short (str.isdigit() also takes "²", which int() refuses)."""
    if header and header.isascii() and header.isdigit() and len(header) <= 18:
        return int(header)
    return None


def _frame(seq: int, kind: str, data: dict[str, Any]) -> str:
    return f"id: {seq}\nevent: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def job_events(state: AppState, job_id: str, since: int | None) -> AsyncIterator[str]:
    channel = job_channel(job_id)
    async with state.bus.subscribe(channel) as subscription:
        # Subscribed first, then the state read: nothing falls between the two.
        seq = await state.bus.last_seq(channel)
        missed = None if since is None else await state.bus.since(channel, since)
        async with unit_of_work(state.sessionmaker) as session:
            job = await session.get(Job, job_id)
        if job is None:
            return
        if missed is not None:
            for event in missed:
                yield _frame(event.seq, event.type, event.data)
                if event.data.get("state") in TERMINAL:
                    return
            seq = max([since or 0, *[e.seq for e in missed]])
            if job.state in TERMINAL:
                # Its terminal event was seen already, or is on its way: say it (again)
                # and end, rather than wait for news that will not come.
                yield _frame(seq, job.stage, snapshot(job))
                return
        else:
            yield _frame(seq, job.stage, snapshot(job))
            if job.state in TERMINAL:
                return
        events = subscription.__aiter__()
        # The next event is awaited in a task of its own, not cancelled by a keepalive
        # timeout (cancelling would end the subscription's iterator).
        pending: asyncio.Future[Any] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(events))
                done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_SECONDS)
                if not done:
                    yield ": keepalive\n\n"
                    continue
                event, pending = pending.result(), None
                if event.seq <= seq:
                    continue
                seq = event.seq
                yield _frame(event.seq, event.type, event.data)
                if event.data.get("state") in TERMINAL:
                    return
        finally:
            if pending is not None:
                pending.cancel()
