"""One error shape for the whole API: RFC 9457 problem details with a stable `code`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

log = logging.getLogger("backlot.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemError(Exception):
    """Raised anywhere below a route; becomes a problem JSON answer with its status."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers
        self.extra = extra


def public_reason(exc: BaseException) -> str:
    """What an error may say to a client or in a stored job error: an OSError's text
    without its file names (they reveal the install paths), anything else as itself."""
    if isinstance(exc, OSError) and (exc.filename is not None or exc.filename2 is not None):
        return f"{type(exc).__name__}: {exc.strerror or 'input/output error'}"
    return str(exc) or type(exc).__name__


def bad_request(code: str, detail: str, **extra: Any) -> ProblemError:
    return ProblemError(400, code, detail, **extra)


def unauthorized(code: str, detail: str) -> ProblemError:
    return ProblemError(401, code, detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str = "You may not do this.", code: str = "forbidden") -> ProblemError:
    return ProblemError(403, code, detail)


def not_found(what: str, code: str = "not_found") -> ProblemError:
    return ProblemError(404, code, f"{what} not found.")


def conflict(code: str, detail: str, **extra: Any) -> ProblemError:
    return ProblemError(409, code, detail, **extra)


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """The body of every error answer (RFC 9457), plus `code` and app-specific members."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    code: str = Field(description="Stable, machine-readable error code.")
    detail: str
    errors: list[FieldError] | None = None


def problem_body(status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": detail,
        **extra,
    }


def problem_response(error: ProblemError) -> JSONResponse:
    return JSONResponse(
        problem_body(error.status, error.code, error.detail, **error.extra),
        status_code=error.status,
        headers=error.headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries declaring the problem shape for these statuses."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {}},
        }
        for status in statuses
    }


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(exc)


# nginx's status for "the client closed the connection before the answer": no client
# reads it, but the metrics and the access log tell an abort from a failure by it.
CLIENT_CLOSED_REQUEST = 499


async def _on_client_disconnect(request: Request, exc: Exception) -> JSONResponse:
    log.info(
        "client closed the connection during %s %s (%s)",
        request.method,
        request.url.path,
        type(exc).__name__,
    )
    body = {
        "type": "about:blank",
        "title": "Client Closed Request",
        "status": CLIENT_CLOSED_REQUEST,
        "code": "client_closed_request",
        "detail": "The client closed the connection before the request was read.",
    }
    return JSONResponse(body, status_code=CLIENT_CLOSED_REQUEST, media_type=PROBLEM_MEDIA_TYPE)


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, ClientDisconnect):  # FastAPI wraps it as a 400
        return await _on_client_disconnect(request, exc.__cause__)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route matches {request.method} {request.url.path}."
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        detail = f"{request.method} is not allowed here; use {', '.join(allowed)}."
    return problem_response(ProblemError(exc.status_code, code, detail, headers=headers))


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route takes on this path (Starlette names only the first route's).

    Probes the routes through the public `matches()` rather than walking router internals.
    """
    allowed = []
    for method in _METHODS:
        probe = {**request.scope, "method": method}
        if any(route.matches(probe)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def invalid_request(exc: ValidationError, *, source: str = "body") -> RequestValidationError:
    """A model validated inside a route (a raw body, form fields) answered like FastAPI's
    own validation: every error located under `source`."""
    return RequestValidationError(
        [{**err, "loc": (source, *err["loc"])} for err in exc.errors(include_input=False)]
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only loc/msg/type: pydantic's `input` would echo secrets such as passwords back.
    return [
        {"loc": [part for part in err.get("loc", ())], "msg": err["msg"], "type": err["type"]}
        for err in exc.errors()
    ]


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    if any(err["type"] == "json_invalid" for err in errors):
        problem = ProblemError(400, "malformed_json", "The request body is not valid JSON.")
    else:
        problem = ProblemError(
            422, "validation_failed", "The request does not match the schema.", errors=errors
        )
    return problem_response(problem)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        ProblemError(500, "internal_error", "Something went wrong on our side.")
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(ClientDisconnect, _on_client_disconnect)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unexpected)
