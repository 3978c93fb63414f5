"""An external video host for the proxy tests: serves one file with Range support
(`/video`), a slow endless stream (`/slow`), how many slow streams ended (`/stats`), an
HTML page with a script (`/page`) and a failing host (`/broken`, 502).

    UPSTREAM_FILE=path/to/video uvicorn tests.videos.upstream:app
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

closed = {"slow": 0}


async def video(request: Request) -> Response:
    return FileResponse(os.environ["UPSTREAM_FILE"], media_type="video/mp4")


async def slow(request: Request) -> Response:
    async def body() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"\0" * 65536
                await asyncio.sleep(0.05)
        finally:
            closed["slow"] += 1  # the proxy let go of us

    return StreamingResponse(body(), media_type="video/mp4")


async def stats(request: Request) -> Response:
    return JSONResponse(closed)


PAGE = "<html><script>fetch('/v1/users/me').then(r => r.text()).then(alert)</script></html>"


async def page(request: Request) -> Response:
    return HTMLResponse(PAGE)


async def broken(request: Request) -> Response:
    return PlainTextResponse("bad gateway", status_code=502)


app = Starlette(
    routes=[
        Route("/video", video, methods=["GET", "HEAD"]),
        Route("/slow", slow),
        Route("/stats", stats),
        Route("/page", page),
        Route("/broken", broken),
    ]
)
