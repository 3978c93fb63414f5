"""The seeds' architecture, kept as an option: an external analysis server. The worker
sends it the job (signed, Standard Webhooks) with short-lived URLs of both recordings and
our callback; the server answers later on the signed webhook."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx

from backlot.accounts.deps import job_url_token
from backlot.core.state import AppState
from backlot.core.webhooks import headers
from backlot.dubbing.audiences import ATTEMPT_AUDIENCE, AUDIO_AUDIENCE
from backlot.dubbing.models import Job, Line

WEBHOOK_PATH = "/v1/tokens/webhook/analysis-complete"


def webhook_secrets(state: AppState) -> list[str]:
    settings = state.settings
    current = [settings.dubbing_webhook_secret] if settings.dubbing_webhook_secret else []
    return [s.get_secret_value() for s in [*current, *settings.dubbing_webhook_old_secrets]]


def job_request(state: AppState, job: Job, line: Line) -> dict[str, Any]:
    """What the analysis server gets: the line's text and where to fetch both audios."""
    settings = state.settings
    base = settings.public_url.rstrip("/")
    ttl = timedelta(seconds=settings.dubbing_job_timeout_seconds * 2)
    # The server's, for this job: they outlive the owner's session (the job goes on).
    reference = job_url_token(state.signer, job.user_id, AUDIO_AUDIENCE, ttl, line=line.id)
    attempt = job_url_token(state.signer, job.user_id, ATTEMPT_AUDIENCE, ttl, job=job.id)
    return {
        "job_id": job.id,
        "token_id": line.id,
        "text": line.text,
        "reference_url": f"{base}/v1/tokens/{line.id}/audio?token={reference}",
        "attempt_url": f"{base}/v1/tokens/analysis-audio/{job.id}?token={attempt}",
        "callback_url": f"{base}{WEBHOOK_PATH}",
    }


async def send_job(state: AppState, http: httpx.AsyncClient, job: Job, line: Line) -> None:
    """POST the job to the analysis server; raises on anything but 2xx (then retried)."""
    settings = state.settings
    assert settings.dubbing_analyzer_url
    assert settings.dubbing_webhook_secret is not None
    body = json.dumps(job_request(state, job, line)).encode()
    signed = headers(
        settings.dubbing_webhook_secret.get_secret_value(),
        body,
        state.clock.now(),
        message_id=f"job_{job.id}_{job.tries}",
    )
    response = await http.post(settings.dubbing_analyzer_url, content=body, headers=signed)
    if response.status_code >= 300:
        raise RuntimeError(f"the analysis server answered {response.status_code}")
