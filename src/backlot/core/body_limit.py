"""Request body size limits that answer with problem JSON (413 `payload_too_large`).

One default for every body; upload routes register larger limits by path pattern, and
those apply only to multipart bodies, the one kind FastAPI streams (spooling the file
to disk). Any other body (JSON, form-urlencoded, raw) is read whole into memory, so it
keeps the default limit whatever the route. Declared sizes are refused before the app
runs; undeclared (chunked) bodies are counted as they stream and cut off at the limit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backlot.core.errors import ProblemError, problem_response


def _too_large(limit: int) -> ProblemError:
    return ProblemError(
        413, "payload_too_large", f"The request body exceeds {limit} bytes.", max_bytes=limit
    )


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        default_limit: int,
        overrides: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.overrides = list(overrides)

    def limit_for(self, path: str, content_type: bytes = b"") -> int:
        if _is_multipart(content_type):
            for pattern, limit in self.overrides:
                if pattern.fullmatch(path):
                    return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"], _header(scope, b"content-type") or b"")
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await problem_response(_too_large(limit))(scope, receive, send)
            return
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException, because FastAPI turns any other error raised
                    # while it reads the body into a generic 400.
                    raise HTTPException(413, f"The request body exceeds {limit} bytes.")
            return message

        await self.app(scope, receive_limited, send)


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return bytes(value)
    return None


def _is_multipart(content_type: bytes) -> bool:
    return content_type.split(b";", 1)[0].strip().lower() == b"multipart/form-data"


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None
