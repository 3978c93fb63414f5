"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from backlot.core.deps import StateDep
from backlot.core.errors import not_found, problem_responses, unauthorized
from backlot.core.metrics import HttpMetrics

router = APIRouter(tags=["ops"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


@router.get("/healthz", response_model=Health)
async def healthz() -> Any:
    """The process is alive and serving."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(state: StateDep) -> Any:
    """Every backing service this process needs answers; 503 names the ones that do not."""
    checks: dict[str, str] = {}
    try:
        async with state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    if state.redis is not None:
        try:
            await state.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    body = Readiness(status="ok" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response, responses=problem_responses(401, 404))
async def metrics(
    request: Request,
    state: StateDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Prometheus text exposition of this process's counters, for the holder of
    BACKLOT_METRICS_TOKEN (`Authorization: Bearer <token>`); 404 while no token is set."""
    token = state.settings.metrics_token
    if token is None:
        raise not_found("Metrics")
    expected = f"Bearer {token.get_secret_value()}".encode()
    if not hmac.compare_digest((authorization or "").encode(), expected):
        raise unauthorized("invalid_metrics_token", "Send Authorization: Bearer <metrics token>.")
    http_metrics: HttpMetrics = request.app.state.http_metrics
    return Response(generate_latest(http_metrics.registry), media_type=CONTENT_TYPE_LATEST)
