"""What a dubbing job does, wherever it runs (the API process embedded, `backlot worker`
scaled): analyse an attempt against its line's reference, with the built-in analyzer or
by sending it to the external one (whose webhook finishes it). Delivery, dispatch and
the row's lifecycle are core's jobs port; the CPU-heavy analysis runs in a process pool,
never on the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from backlot import analysis
from backlot.analysis import AudioError, NoSpeechError, Weights
from backlot.core.db import unit_of_work
from backlot.core.errors import public_reason
from backlot.core.jobs import JobQueue, JobRows, JobState, JobTakenBack
from backlot.core.settings import Settings
from backlot.core.state import AppState
from backlot.core.storage import read_all
from backlot.dubbing import progress
from backlot.dubbing.analysis_pool import build_analysis_pool
from backlot.dubbing.external import send_job
from backlot.dubbing.fairness import next_job_id
from backlot.dubbing.models import Job, Line

log = logging.getLogger("backlot.dubbing")


def new_job_id() -> str:
    return uuid.uuid4().hex


def weights(settings: Settings) -> Weights:
    return Weights(
        settings.dubbing_weight_pronunciation,
        settings.dubbing_weight_intonation,
        settings.dubbing_weight_emotion,
        settings.dubbing_weight_timing,
    )


@dataclass(frozen=True)
class Scored:
    """An analysis's outcome: the scores (pronunciation, intonation, emotion, overall and,
    from the built-in analyzer, timing) and the detailed feedback."""

    scores: Mapping[str, float | None]
    feedback: dict[str, Any] = field(default_factory=dict)


def score_recording(
    reference: bytes, attempt: bytes, text: str, weights: Weights, max_seconds: float
) -> Scored:
    """Runs in a worker process: decode both, analyse, return plain data."""
    # The numerical stack loads here, in the worker, on its first job (backlot.analysis).
    result = analysis.analyze(
        analysis.decode(reference, max_seconds),
        analysis.decode(attempt, max_seconds),
        text,
        weights,
    )
    return Scored(result.scores(), (result.feedback or {}) | {"monotone": result.monotone})


def _warm() -> bool:
    """Imports the analysis stack in a fresh pool process before the first job needs it."""
    return callable(analysis.analyze) and callable(analysis.decode)


class PermanentError(Exception):
    """A failure no retry can fix (not speech, unreadable audio)."""


class AnalysisJobs:
    """The dubbing queue's job source: claims the next job fairly and analyses it."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.settings = state.settings
        self.rows = JobRows(Job, state.sessionmaker, state.clock, self.publish)
        self.queue: JobQueue | None = None  # where retries go, set once the queue is built
        self._pool: ProcessPoolExecutor | None = None
        self._http: httpx.AsyncClient | None = None

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
        await progress.publish(self.state.bus, job)

    async def claim_next(self) -> Job | None:
        return await self.rows.claim_next(next_job_id, stage="decoding", progress=10)

    async def run(self, job: Job) -> None:
        """Analyse a job this process claimed, and finish, retry or fail it."""
        job_id = job.id
        every = max(1.0, self.settings.dubbing_stale_job_seconds / 4)
        beat = asyncio.create_task(self.rows.heartbeat(job_id, every))
        try:
            scored = await self._analyse(job)
            if scored is None:  # sent to the external analyzer: its webhook finishes it
                beat.cancel()
                await self._wait_for_webhook(job_id)
                return
        except PermanentError as exc:
            await self.rows.fail(job_id, str(exc))
        except JobTakenBack:
            raise
        except Exception as exc:  # transient: a timeout, storage or a crashed pool
            # The stored reason reaches the user (analysis-result): no file paths in it.
            reason = public_reason(exc)
            log.warning("dubbing job %s try %s failed: %s", job_id, job.tries, str(exc) or reason)
            await self._retry_or_fail(job_id, job.tries, reason)
        else:
            await self.complete(job_id, scored)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _analyse(self, job: Job) -> Scored | None:
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
        if await self.rows.advance(job.id, stage="analysing", progress=40) is None:
            raise JobTakenBack(job.id)
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
        if await self.rows.advance(job_id, stage="analysing", progress=50) is not None:
            await self.rows.hold(job_id, self.state.clock.now() + timedelta(seconds=ahead))

    async def complete(self, job_id: str, scored: Scored) -> None:
        """Finish a running job with scores (also the external analyzer's webhook)."""
        scores = scored.scores
        await self.rows.advance(
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
            detailed_feedback=scored.feedback,
            finished_at=self.state.clock.now(),
        )

    async def fail(self, job_id: str, reason: str) -> None:
        await self.rows.fail(job_id, reason)

    async def _retry_or_fail(self, job_id: str, tries: int, reason: str) -> None:
        plan = await self.rows.retry_or_fail(
            job_id, tries=tries, max_tries=self.settings.dubbing_max_tries, reason=reason
        )
        if plan.retried and self.queue is not None:
            await self.queue.enqueue(job_id, delay=plan.delay)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
        if self._pool is not None:
            # Off the loop: waiting for the pool's processes to exit blocks.
            await asyncio.to_thread(self._pool.shutdown, True, cancel_futures=True)
