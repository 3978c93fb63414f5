"""Running one analysis job, wherever it runs (the API process embedded, `backlot worker`
scaled). The database row is the truth: a job is claimed by a conditional update, so a
delivery that comes twice runs once; progress goes to the row and to the job's channel
on the event bus (the SSE stream reads it from any process); the CPU-heavy analysis
runs in a process pool, never on the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.analysis import AudioError, NoSpeechError, Weights, analyze, decode
from backlot.core.db import after_commit, unit_of_work
from backlot.core.errors import public_reason
from backlot.core.settings import Settings
from backlot.core.state import AppState
from backlot.core.storage import read_all
from backlot.dubbing.analysis_pool import build_analysis_pool
from backlot.dubbing.dispatch import next_job_id
from backlot.dubbing.external import send_job
from backlot.dubbing.models import Job, JobState, Line

log = logging.getLogger("backlot.dubbing")

Enqueue = Callable[[str], Awaitable[None]]
TERMINAL = {JobState.completed.value, JobState.failed.value}


def new_job_id() -> str:
    return uuid.uuid4().hex


def job_channel(job_id: str) -> str:
    return f"dubbing.job.{job_id}"


def weights(settings: Settings) -> Weights:
    return Weights(
        settings.dubbing_weight_pronunciation,
        settings.dubbing_weight_intonation,
        settings.dubbing_weight_emotion,
        settings.dubbing_weight_timing,
    )


def score_recording(
    reference: bytes, attempt: bytes, text: str, weights: Weights, max_seconds: float
) -> dict[str, Any]:
    """Runs in a worker process: decode both, analyse, return plain data."""
    result = analyze(decode(reference, max_seconds), decode(attempt, max_seconds), text, weights)
    return {"scores": result.scores(), "monotone": result.monotone, "feedback": result.feedback}


def _warm() -> bool:
    """Imports the analysis stack in a fresh pool process before the first job needs it."""
    return True


class PermanentError(Exception):
    """A failure no retry can fix (not speech, unreadable audio)."""


def snapshot(job: Job) -> dict[str, Any]:
    """What a progress stream says about a job."""
    data: dict[str, Any] = {
        "job_id": job.id,
        "state": job.state,
        "stage": job.stage,
        "progress": job.progress,
        "tries": job.tries,
    }
    if job.state == JobState.completed.value:
        data["scores"] = {
            "pronunciation": job.pronunciation_score,
            "intonation": job.intonation_score,
            "emotion": job.emotion_score,
            "timing": job.timing_score,
            "overall": job.overall_score,
        }
    if job.error:
        data["reason"] = job.error
    return data


class JobRunner:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.settings = state.settings
        self.enqueue: Enqueue | None = None  # the queue's kick, set when it is built
        self._pool: ProcessPoolExecutor | None = None
        self._http: httpx.AsyncClient | None = None
        self._retries: set[asyncio.Task[None]] = set()

    @property
    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = build_analysis_pool(self.settings.dubbing_analysis_processes)
        return self._pool

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0))
        return self._http

    async def warm_up(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self.pool, _warm)

    async def publish(self, job: Job) -> None:
        await self.state.bus.publish(job_channel(job.id), job.stage, snapshot(job))

    async def _advance(self, job_id: str, **values: Any) -> Job | None:
        async with unit_of_work(self.state.sessionmaker) as session:
            job = await session.get(Job, job_id)
            if job is None or job.state != JobState.running.value:
                return None  # taken back by the reaper meanwhile: stop quietly
            job.heartbeat_at = self.state.clock.now()
            for name, value in values.items():
                setattr(job, name, value)
        await self.publish(job)
        return job

    async def _claim(self, job_id: str) -> Job | None:
        now = self.state.clock.now()
        async with unit_of_work(self.state.sessionmaker) as session:
            claimed = await session.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == JobState.queued.value)
                .values(
                    state=JobState.running.value,
                    stage="decoding",
                    progress=10,
                    tries=Job.tries + 1,
                    started_at=now,
                    heartbeat_at=now,
                )
                .returning(Job.id)
            )
            if claimed.first() is None:
                return None  # another delivery has it, or it is finished
            job = await session.get(Job, job_id, populate_existing=True)
        assert job is not None
        await self.publish(job)
        return job

    async def claim_next(self) -> Job | None:
        """Claim the job whose turn it is (dispatch.next_job_id), or None when none waits.
        Another process may claim the same one first: then the next one is tried."""
        for _ in range(5):
            async with unit_of_work(self.state.sessionmaker) as session:
                job_id = await next_job_id(session, self.state.clock.now())
            if job_id is None:
                return None
            job = await self._claim(job_id)
            if job is not None:
                return job
        return None  # lost every race: the dispatcher looks again on its next wake

    async def run_claimed(self, job: Job) -> None:
        """Analyse a job this process claimed, and finish, retry or fail it."""
        job_id = job.id
        beat = asyncio.create_task(self._heartbeat(job_id))
        try:
            result = await self._analyse(job)
            if result is None:  # sent to the external analyzer: its webhook finishes it
                beat.cancel()
                await self._wait_for_webhook(job_id)
                return
        except PermanentError as exc:
            await self._finish_failed(job_id, str(exc))
        except Exception as exc:  # transient: a timeout, storage or a crashed pool
            # The stored reason reaches the user (analysis-result): no file paths in it.
            reason = public_reason(exc)
            log.warning("dubbing job %s try %s failed: %s", job_id, job.tries, str(exc) or reason)
            await self._retry_or_fail(job_id, job.tries, reason)
        else:
            await self._complete(job_id, result)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _analyse(self, job: Job) -> dict[str, Any] | None:
        async with unit_of_work(self.state.sessionmaker) as session:
            line = await session.get(Line, job.token_id)
            if line is None or line.audio_key is None:
                raise PermanentError("the line has no reference audio any more")
            reference_key, text = line.audio_key, line.text
        if self.settings.dubbing_analyzer == "external":
            await send_job(self.state, self.http, job, line)
            return None
        reference = await read_all(self.state.storage, reference_key)
        attempt = await read_all(self.state.storage, job.audio_key)
        if await self._advance(job.id, stage="analysing", progress=40) is None:
            raise asyncio.CancelledError
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(
            self.pool,
            score_recording,
            reference,
            attempt,
            text,
            weights(self.settings),
            self.settings.dubbing_max_audio_seconds,
        )
        try:
            return await asyncio.wait_for(work, self.settings.dubbing_job_timeout_seconds)
        except (NoSpeechError, AudioError) as exc:
            raise PermanentError(str(exc)) from exc
        except BrokenProcessPool:
            self._pool = None  # an analysis process died (killed, out of memory): a new pool
            raise
        except TimeoutError as exc:
            raise TimeoutError(
                f"the analysis took longer than {self.settings.dubbing_job_timeout_seconds:g} s"
            ) from exc

    async def _wait_for_webhook(self, job_id: str) -> None:
        # No worker watches it now: the reaper takes it back if no webhook came within
        # the job timeout (its heartbeat is set that far ahead, less the stale margin).
        ahead = self.settings.dubbing_job_timeout_seconds - self.settings.dubbing_stale_job_seconds
        job = await self._advance(job_id, stage="analysing", progress=50)
        if job is not None:
            async with unit_of_work(self.state.sessionmaker) as session:
                await session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.state == JobState.running.value)
                    .values(heartbeat_at=self.state.clock.now() + timedelta(seconds=ahead))
                )

    async def _heartbeat(self, job_id: str) -> None:
        every = max(1.0, self.settings.dubbing_stale_job_seconds / 4)
        while True:
            await asyncio.sleep(every)
            async with unit_of_work(self.state.sessionmaker) as session:
                await session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.state == JobState.running.value)
                    .values(heartbeat_at=self.state.clock.now())
                )

    async def complete(self, job_id: str, result: dict[str, Any]) -> None:
        """Finish a running job with scores (the webhook of the external analyzer)."""
        await self._complete(job_id, result)

    async def fail(self, job_id: str, reason: str) -> None:
        await self._finish_failed(job_id, reason)

    async def _complete(self, job_id: str, result: dict[str, Any]) -> None:
        scores = result["scores"]
        feedback = (result.get("feedback") or {}) | {"monotone": result.get("monotone", False)}
        await self._advance(
            job_id,
            state=JobState.completed.value,
            stage="completed",
            progress=100,
            error=None,
            pronunciation_score=scores["pronunciation"],
            intonation_score=scores["intonation"],
            emotion_score=scores["emotion"],
            timing_score=scores.get("timing"),
            overall_score=scores["overall"],
            detailed_feedback=feedback,
            finished_at=self.state.clock.now(),
        )

    async def _finish_failed(self, job_id: str, reason: str) -> None:
        await self._advance(
            job_id,
            state=JobState.failed.value,
            stage="failed",
            error=reason,
            finished_at=self.state.clock.now(),
        )

    async def _retry_or_fail(self, job_id: str, tries: int, reason: str) -> None:
        if tries >= self.settings.dubbing_max_tries:
            await self._finish_failed(job_id, f"{reason} (after {tries} tries)")
            return
        delay = min(2 ** (tries - 1), 30)  # 1 s, 2 s, 4 s ... between tries
        job = await self._advance(
            job_id,
            state=JobState.queued.value,
            stage="retrying",
            progress=0,
            error=reason,
            # A queued job's heartbeat is when it may run again: no dispatcher takes it
            # before its backoff is over.
            heartbeat_at=self.state.clock.now() + timedelta(seconds=delay),
        )
        if job is None:
            return
        task = asyncio.create_task(self._requeue_later(job_id, delay))
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def _requeue_later(self, job_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        if self.enqueue is not None:
            await self.enqueue(job_id)

    async def close(self) -> None:
        for task in list(self._retries):
            task.cancel()
        if self._http is not None:
            await self._http.aclose()
        if self._pool is not None:
            # Off the loop: waiting for the pool's processes to exit blocks.
            await asyncio.to_thread(self._pool.shutdown, True, cancel_futures=True)


async def reap_stale_jobs(
    session: AsyncSession,
    now: datetime,
    settings: Settings,
    enqueue: Enqueue,
    publish: Callable[[Job], Awaitable[None]],
) -> str:
    """Jobs whose worker went silent go back to the queue, or fail once out of tries;
    queued jobs nobody picked up are delivered again. Once per tick, in one process; the
    job streams hear of each change."""
    stale = now - timedelta(seconds=settings.dubbing_stale_job_seconds)
    lost = await session.scalars(
        update(Job)
        .where(
            Job.state == JobState.running.value,
            Job.heartbeat_at < stale,
            Job.tries < settings.dubbing_max_tries,
        )
        .values(state=JobState.queued.value, stage="retrying", error="the worker stopped")
        .returning(Job)
    )
    requeued = list(lost)
    spent = await session.scalars(
        update(Job)
        .where(
            Job.state == JobState.running.value,
            Job.heartbeat_at < stale,
            Job.tries >= settings.dubbing_max_tries,
        )
        .values(
            state=JobState.failed.value,
            stage="failed",
            error=f"the worker stopped ({settings.dubbing_max_tries} tries)",
            finished_at=now,
        )
        .returning(Job)
    )
    failed = list(spent)
    forgotten = await session.scalars(
        update(Job)
        .where(
            Job.state == JobState.queued.value,
            Job.created_at < stale,
            Job.heartbeat_at.is_(None) | (Job.heartbeat_at < stale),
        )
        .values(heartbeat_at=now)  # marks the redelivery, so the next tick waits again
        .returning(Job.id)
    )
    deliver = {job.id for job in requeued} | set(forgotten)

    async def announce() -> None:
        for job in [*requeued, *failed]:
            await publish(job)
        for job_id in deliver:
            await enqueue(job_id)

    after_commit(session, announce)
    return f"requeued {len(deliver)}, failed {len(failed)}"
