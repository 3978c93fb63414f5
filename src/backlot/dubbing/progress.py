"""What a job's progress stream says: one event per change of its row, on the job's
channel of the event bus (the SSE stream reads it from any process)."""

from __future__ import annotations

from typing import Any

from backlot.core.bus import EventBus
from backlot.core.jobs import JobState
from backlot.dubbing.models import Job


def job_channel(job_id: str) -> str:
    return f"dubbing.job.{job_id}"


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


async def publish(bus: EventBus, job: Job) -> None:
    await bus.publish(job_channel(job.id), job.stage, snapshot(job))
