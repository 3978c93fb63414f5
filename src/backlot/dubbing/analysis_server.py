"""A small external analysis server, for tests and demos of the seeds' architecture: it
takes signed jobs, fetches both recordings from the URLs it is given, scores them with
the built-in analyzer and answers on the job's callback with a signed webhook.

    BACKLOT_DUBBING_WEBHOOK_SECRET=whsec_... python -m backlot.dubbing.analysis_server --port 9000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backlot.analysis import AudioError, NoSpeechError, analyze, decode
from backlot.core.webhooks import WebhookError, headers, verify

log = logging.getLogger("backlot.analysis_server")


def _score(reference: bytes, attempt: bytes, text: str) -> dict[str, Any]:
    result = analyze(decode(reference), decode(attempt), text)
    return {"scores": result.scores(), "detailed_feedback": result.feedback}


def create_app(secret: str) -> Starlette:
    pending: set[asyncio.Task[None]] = set()

    async def work(job: dict[str, Any]) -> None:
        body: dict[str, Any] = {"job_id": job["job_id"]}
        async with httpx.AsyncClient(timeout=30) as http:
            try:
                reference = (await http.get(job["reference_url"])).raise_for_status().content
                attempt = (await http.get(job["attempt_url"])).raise_for_status().content
                body |= await asyncio.to_thread(_score, reference, attempt, job["text"])
            except (NoSpeechError, AudioError) as exc:
                body["error"] = str(exc)
            except httpx.HTTPError as exc:
                body["error"] = f"could not fetch the recordings ({exc})"
            raw = json.dumps(body).encode()
            signed = headers(secret, raw, datetime.now(UTC))
            answer = await http.post(job["callback_url"], content=raw, headers=signed)
            log.info("webhook for %s answered %s", job["job_id"], answer.status_code)

    async def analyze_endpoint(request: Request) -> JSONResponse:
        raw = await request.body()
        try:
            verify([secret], request.headers, raw, datetime.now(UTC))
        except WebhookError as exc:
            return JSONResponse({"error": str(exc)}, status_code=401)
        job = json.loads(raw)
        task = asyncio.create_task(work(job))
        pending.add(task)
        task.add_done_callback(pending.discard)
        return JSONResponse({"accepted": job["job_id"]}, status_code=202)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/analyze", analyze_endpoint, methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    secret = os.environ.get("BACKLOT_DUBBING_WEBHOOK_SECRET")
    if not secret:
        raise SystemExit("set BACKLOT_DUBBING_WEBHOOK_SECRET (whsec_...), shared with Backlot")
    uvicorn.run(create_app(secret), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
