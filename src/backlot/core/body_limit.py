"""Request body size limits that answer with problem JSON (413 `payload_too_large`).

One default for every route; upload routes register larger limits by path pattern.
Declared sizes are refused before the app runs; undeclared (chunked) bodies are
counted as they stream and cut off at the limit.
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

    def limit_for(self, path: str) -> int:
        for pattern, limit in self.overrides:
            if pattern.fullmatch(path):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
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


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
