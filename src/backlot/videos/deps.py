"""What the videos routes need beyond the core: the HTTP client for external URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import httpx
from fastapi import Depends, Request

from backlot.videos.proxy import build_http_client


@dataclass
class VideosRuntime:
    http: httpx.AsyncClient = field(default_factory=build_http_client)

    async def close(self) -> None:
        await self.http.aclose()


async def _runtime(request: Request) -> VideosRuntime:
    runtime: VideosRuntime = request.app.state.videos
    return runtime


VideosDep = Annotated[VideosRuntime, Depends(_runtime)]
